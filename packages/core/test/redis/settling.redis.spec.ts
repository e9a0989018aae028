import { describeSettlingConformance } from '../conformance/settling.conformance';
import { consoleLogger, createApp } from '../../src';
import { celeriacKeys } from '../../src/redis/keys';
import { ownRedis } from '../support/own-redis';

const own = ownRedis();

describeSettlingConformance('redis://', { freshUrl: () => own.freshUrl() });

describe('on Redis, an unstorable result leaves nothing held', () => {
  it("the worker's unacked hash is empty once the 10n task is FAILURE", async () => {
    const { admin } = own;
    const url = own.redis.url(15);
    await admin.select(15);
    await admin.flushdb();
    const app = createApp('held', { broker: url, logger: consoleLogger('silent') });
    try {
      const big = app.task('held.bigint', () => 10n as unknown as number);
      const w = app.worker({ concurrency: 1 });
      await w.start();
      const res = await big.delay();
      await expect(res.get({ timeout: 5_000 })).rejects.toMatchObject({ excType: 'EncodeError' });
      await w.onIdle();
      expect(await admin.hlen(celeriacKeys.unacked(w.id))).toBe(0);
    } finally {
      await app.close();
    }
  });
});
