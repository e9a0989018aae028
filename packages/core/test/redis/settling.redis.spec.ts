import { describeSettlingConformance } from '../conformance/settling.conformance';
import type Redis from 'ioredis';
import { consoleLogger, createApp } from '../../src';
import { celeriacKeys } from '../../src/redis/keys';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;
let admin: Redis;
let db = 0;

// NOTE: a server of our own (even with REDIS_URL set), so flushing its databases touches nobody's data.
beforeAll(async () => {
  redis = await startRedis({ own: true });
  admin = redis.client();
});
afterAll(async () => {
  await redis.stop();
});

describeSettlingConformance('redis://', {
  freshUrl: async () => {
    const n = db++ % 16;
    await admin.select(n);
    await admin.flushdb();
    return redis.url(n);
  },
});

describe('on Redis, an unstorable result leaves nothing held', () => {
  it("the worker's unacked hash is empty once the 10n task is FAILURE", async () => {
    const url = redis.url(15);
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
