// Writes gathered per turn (sends, result stores) go out as commands of at most ~64 KB of values each
// (WRITE_BATCH_CHARS): order, acks and every message are kept across the split.
import { consoleLogger, createApp } from '../../src';
import { celeriacKeys, celeryKeys } from '../../src/redis/keys';
import { WRITE_BATCH_CHARS } from '../../src/redis/connection';
import { ownRedis } from '../support/own-redis';

const own = ownRedis();

async function lpushCalls(): Promise<number> {
  const stats = (await own.admin.info('commandstats')).split('\n').find((l) => l.startsWith('cmdstat_lpush:'));
  return stats ? Number(/calls=(\d+)/.exec(stats)![1]) : 0;
}

/** Task ids in the order a worker takes them (RPOP: the tail first). */
async function servedOrder(queue: string): Promise<string[]> {
  const raw = await own.admin.lrange(celeryKeys.queue(queue, 0), 0, -1);
  return raw.reverse().map((r) => (JSON.parse(r) as { headers: { id: string } }).headers.id);
}

const N = 3_000;
const pad = 'x'.repeat(500);

describe('on Redis, writes of one turn are split into commands of at most ~64 KB', () => {
  it(`${N} .delay() calls in one turn: several LPUSH commands, served in the order sent`, async () => {
    const url = await own.freshUrl();
    const app = createApp('split', { broker: url, logger: consoleLogger('silent') });
    try {
      const t = app.task('split.t', (s: string, i: number) => `${s.length}:${i}`);
      const before = await lpushCalls();
      const sent = await Promise.all(Array.from({ length: N }, (_, i) => t.delay(pad, i)));
      const commands = (await lpushCalls()) - before;
      // NOTE: ~1 KB a message: about N / 64 commands, never one.
      expect(commands).toBeGreaterThanOrEqual(Math.floor((N * 1_000) / WRITE_BATCH_CHARS / 2));
      expect(commands).toBeLessThan(N / 10);
      expect(await servedOrder('celery')).toEqual(sent.map((r) => r.id));
    } finally {
      await app.close();
    }
  });

  it(`app.sendMany of ${N} messages over two queues: each queue in order, every message there`, async () => {
    const url = await own.freshUrl();
    const app = createApp('split-many', { broker: url, logger: consoleLogger('silent') });
    try {
      app.task('split.a', (s: string) => s.length, { queue: 'qa' });
      app.task('split.b', (s: string) => s.length, { queue: 'qb' });
      const before = await lpushCalls();
      const sent = await app.sendMany(Array.from({ length: N }, (_, i) => ({ task: i % 3 ? 'split.a' : 'split.b', args: [`${pad}${i}`] })));
      expect((await lpushCalls()) - before).toBeGreaterThan(2);
      const ids = sent.map((r) => r.id);
      expect(await servedOrder('qa')).toEqual(ids.filter((_, i) => i % 3));
      expect(await servedOrder('qb')).toEqual(ids.filter((_, i) => !(i % 3)));
    } finally {
      await app.close();
    }
  });

  it('results larger than one batch in a turn: every task SUCCESS with its value, nothing left unacked', async () => {
    const url = await own.freshUrl();
    const app = createApp('split-store', { broker: url, logger: consoleLogger('silent') });
    try {
      // NOTE: 50 results of 8 KB finish in one turn: ~400 KB of states to store at once.
      const big = app.task('split.big', (i: number) => `${i}:${'r'.repeat(8_000)}`);
      const w = app.worker({ concurrency: 50 });
      await w.start();
      const sent = await app.sendMany(Array.from({ length: 500 }, (_, i) => ({ task: 'split.big', args: [i] })));
      const values = await Promise.all(sent.map((r) => r.get({ timeout: 30_000 })));
      expect(values.map((v) => String(v).split(':')[0])).toEqual(Array.from({ length: 500 }, (_, i) => String(i)));
      await w.onIdle();
      expect((await Promise.all(sent.map((r) => r.state()))).every((s) => s === 'SUCCESS')).toBe(true);
      expect(await own.admin.hlen(celeriacKeys.unacked(w.id))).toBe(0);
      void big;
    } finally {
      await app.close();
    }
  });
});
