// Canvas on a real redis-server: the conformance suite, plus what only Redis shows: Celery's keys and message
// fields, batched sends (LPUSH count), and a 10,000-task chord leaving no bookkeeping key.
import type Redis from 'ioredis';
import { SerializationError, consoleLogger, createApp, chord, group, type Celeriac } from '../../src';
import { describeCanvasConformance } from '../conformance/canvas.conformance';
import { ownRedis } from '../support/own-redis';
import { WRITE_BATCH_CHARS } from '../../src/redis/connection';

const own = ownRedis(14);

const dbOf = (app: Celeriac) => Number(new URL(app.settings.brokerUrl).pathname.slice(1) || 0);

async function tasksetKeys(n: number): Promise<string[]> {
  const c = own.admin.duplicate({ db: n });
  try {
    return (await c.keys('celery-taskset-meta-*')).sort();
  } finally {
    c.disconnect();
  }
}

describeCanvasConformance('redis://', {
  freshUrl: () => own.freshUrl(),
  leftovers: (app) => tasksetKeys(dbOf(app)),
});

async function commandCalls(name: string): Promise<number> {
  const info = await own.admin.info('commandstats');
  const m = new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info);
  return m ? Number(m[1]) : 0;
}

describe('canvas on the wire (Redis)', () => {
  let app: Celeriac;
  let c: Redis;
  const DB = 15;

  beforeEach(async () => {
    c = own.admin.duplicate({ db: DB });
    await c.flushdb();
    app = createApp('wire', { broker: own.redis.url(DB), logger: consoleLogger('silent') });
  });
  afterEach(async () => {
    await app.close();
    c.disconnect();
  });

  it("a chord stores its size in .s, then sends header members with group, group_index and the body in embed.chord", async () => {
    const add = app.task('w.add', (a: number, b: number) => a + b);
    const tsum = app.task('w.tsum', (xs: number[]) => xs.reduce((a, b) => a + b, 0));
    const res = await chord([add.s(1, 1), add.s(2, 2), add.s(3, 3)], tsum.s()).applyAsync();
    const gid = (res.parent as { id: string }).id;
    expect(await c.get(`celery-taskset-meta-${gid}.s`)).toBe('3');
    expect(await c.ttl(`celery-taskset-meta-${gid}.s`)).toBeGreaterThan(86_000);
    const raw = await c.lrange('celery', 0, -1);
    const envs = raw.reverse().map((r) => JSON.parse(r) as { headers: Record<string, unknown>; body: string });
    expect(envs.map((e) => e.headers.group)).toEqual([gid, gid, gid]);
    expect(envs.map((e) => e.headers.group_index)).toEqual([0, 1, 2]);
    const body = JSON.parse(Buffer.from(envs[0]!.body, 'base64').toString()) as [unknown[], unknown, { chord: { task: string; options: { task_id: string } } }];
    expect(body[2].chord).toMatchObject({ task: 'w.tsum', options: { task_id: res.id }, immutable: false });
    const w = app.worker({ concurrency: 4 });
    await w.start();
    await expect(res.get({ timeout: 10_000 })).resolves.toBe(12);
    expect(await c.keys('celery-taskset-meta-*')).toEqual([]);
  });

  it('a chord whose header cannot be sent (a message over taskMessageMaxSize) rejects and leaves no key', async () => {
    await app.close();
    app = createApp('wire', { broker: own.redis.url(DB), logger: consoleLogger('silent'), taskMessageMaxSize: 2_000 });
    const add = app.task('w.add', (a: number, b: number) => a + b);
    const echo = app.task('w.echo', (...xs: unknown[]) => xs);
    await expect(chord([add.s(1, 1), echo.s('x'.repeat(5_000))], add.s(0)).applyAsync()).rejects.toBeInstanceOf(SerializationError);
    expect(await c.keys('*')).toEqual([]);
  });

  /** LPUSH commands a batch takes: one per WRITE_BATCH_CHARS of values, in the order sent (the list reversed). */
  async function expectedCommands(list: string): Promise<number> {
    let commands = 0;
    let chars = 0;
    for (const v of (await c.lrange(list, 0, -1)).reverse()) {
      chars += v.length;
      if (chars >= WRITE_BATCH_CHARS) {
        commands++;
        chars = 0;
      }
    }
    return commands + (chars > 0 ? 1 : 0);
  }

  it('a group of 10,000 is sent with one LPUSH per ~64 KB of messages (about 100), not 10,000', async () => {
    const add = app.task('w.add', (a: number, b: number) => a + b);
    const before = await commandCalls('lpush');
    const g = await group(Array.from({ length: 10_000 }, (_, i) => add.s(i, i))).applyAsync();
    const commands = (await commandCalls('lpush')) - before;
    expect(commands).toBe(await expectedCommands('celery'));
    expect(commands).toBeLessThan(200);
    expect(await c.llen('celery')).toBe(10_000);
    const first = JSON.parse((await c.lindex('celery', -1))!) as { headers: { id: string; group: string; group_index: null } };
    expect(first.headers).toMatchObject({ id: g.results[0]!.id, group: g.id, group_index: null });
  });

  it('app.sendMany of 2,500 calls: one LPUSH per ~64 KB of messages', async () => {
    app.task('w.noop', () => null);
    const before = await commandCalls('lpush');
    const results = await app.sendMany(Array.from({ length: 2_500 }, (_, i) => ({ task: 'w.noop', args: [i] })));
    const commands = (await commandCalls('lpush')) - before;
    expect(commands).toBe(await expectedCommands('celery'));
    expect(commands).toBeLessThan(50);
    expect(results).toHaveLength(2_500);
    expect(await c.llen('celery')).toBe(2_500);
  });

  it('a chord of 10,000 header tasks completes, and no celery-taskset-meta key is left', async () => {
    const add = app.task('w.add', (a: number, b: number) => a + b);
    const count = app.task('w.count', (xs: number[]) => ({ n: xs.length, sum: xs.reduce((a, b) => a + b, 0) }));
    const res = await chord(Array.from({ length: 10_000 }, (_, i) => add.s(i, 1)), count.s()).applyAsync();
    const w = app.worker({ concurrency: 100 });
    await w.start();
    await expect(res.get({ timeout: 120_000 })).resolves.toEqual({ n: 10_000, sum: (10_000 * 10_001) / 2 });
    await w.onIdle();
    expect(await c.keys('celery-taskset-meta-*')).toEqual([]);
  }, 150_000);
});
