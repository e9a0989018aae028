// 1,000 garbage entries pushed raw among 1,000 good tasks, in random order, onto the queue of 2 worker
// processes: all good tasks complete, each garbage entry is in celeriac.deadletter with its reason, and no
// worker dies.
import type Redis from 'ioredis';
import { createApp, type Celeriac } from '@celeriac/core';
import { encodeMessage } from '../../src/protocol/message';
import { startRedis, type RedisServer } from '../support/redis-server';
import { Completion, WorkerProcesses, inRedis, report, waitFor, waitForWorker } from '../faults/chaos-support';
import { checkDeadLetters, garbage } from '../faults/garbage';

const QUEUE = 'chaos.garbage';

describe('chaos: garbage among good tasks', () => {
  let server: RedisServer;
  let redis: Redis;
  let app: Celeriac;
  const workers = new WorkerProcesses();

  beforeAll(async () => {
    server = await startRedis({ own: true });
    redis = server.client();
    app = createApp('chaos-garbage', { broker: server.url() });
  });

  afterAll(async () => {
    await workers.killAll();
    await app?.close();
    await server?.stop();
  });

  it('dead-letters every garbage entry with its reason; every good task completes; no worker dies', async () => {
    const procs = [0, 1].map(() => workers.spawn({ url: server.url(), queue: QUEUE, concurrency: 10 }));
    const wids = await Promise.all(procs.map((w) => waitForWorker(redis, w)));

    const bad = garbage(1_000, 'chaos');
    const good = Array.from({ length: 1_000 }, (_, i) => app.buildMessage('chaos.work', [`good${i}`, 1], { queue: QUEUE }));
    const entries: (string | Buffer)[] = [...bad.map((g) => g.raw), ...good.map((m) => encodeMessage(m))];
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    const t0 = Date.now();
    const p = redis.pipeline();
    for (const e of entries) p.lpush(QUEUE, e);
    await p.exec();

    const done = new Completion(redis, good.map((m) => m.id));
    await done.waitAll(60_000);
    await waitFor('1,000 dead letters', async () => (await redis.llen('celeriac.deadletter')) >= bad.length, 20_000);
    const ms = Date.now() - t0;
    const rows = await redis.lrange('celeriac.deadletter', 0, -1);
    const check = checkDeadLetters(bad, rows);
    report('chaos/garbage', { good: good.length, completed: good.length - done.open.size, garbage: bad.length, deadLettered: rows.length, missing: check.missing.length, wrongReason: check.wrongReason.length, ms });
    report('chaos/garbage reasons', check.byReason);

    expect(done.open.size).toBe(0);
    expect(check.missing).toEqual([]);
    expect(check.wrongReason).toEqual([]);
    expect(rows.length).toBe(bad.length);
    for (const w of procs) expect(w.alive()).toBe(true);
    for (const id of wids) expect(await redis.zscore('celeriac.workers', id)).not.toBeNull();
    expect(await inRedis(redis, QUEUE)).toEqual({ queued: 0, held: 0 });
  }, 90_000);
});
