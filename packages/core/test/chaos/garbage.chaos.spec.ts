// 1,000 garbage entries pushed raw among 1,000 good tasks, in random order, onto the queue of 2 worker
// processes: all good tasks complete, each garbage entry is in celeriac.deadletter with its reason, and no
// worker dies.
import { encodeMessage } from '../../src/protocol/message';
import { Completion, inRedis, report, useChaosEnv, waitFor } from '../faults/chaos-support';
import { checkDeadLetters, garbage } from '../faults/garbage';

const QUEUE = 'chaos.garbage';

describe('chaos: garbage among good tasks', () => {
  const env = useChaosEnv('chaos-garbage');

  it('dead-letters every garbage entry with its reason; every good task completes; no worker dies', async () => {
    const { redis, app } = env;
    const started = await env.startWorkers(2, { queue: QUEUE, concurrency: 10 });
    const procs = started.map((s) => s.w);
    const wids = started.map((s) => s.id);

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
