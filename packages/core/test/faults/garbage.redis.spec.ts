// Garbage pushed raw onto a queue list (not JSON, no headers, pickle, unknown task, bad base64, …) lands in
// celeriac.deadletter with its reason; the good tasks around it complete and the worker process survives.
import { Completion, report, sendWork, useChaosEnv, waitFor } from './chaos-support';
import { GARBAGE_KINDS, checkDeadLetters, garbage } from './garbage';

const QUEUE = 'faults.garbage';

describe('garbage on the queue', () => {
  const env = useChaosEnv('faults-garbage');

  it('goes to the dead-letter list with its reason; good tasks complete; the worker survives', async () => {
    const { redis, app } = env;
    const { w, id: wid } = await env.startWorker({ queue: QUEUE, concurrency: 4 });
    const bad = garbage(GARBAGE_KINDS * 3, 'faults');
    const ids: string[] = [];
    // Interleave: a good task, a garbage entry, a good task, …
    for (const g of bad) {
      ids.push(...(await sendWork(app, QUEUE, 1)));
      await redis.lpush(QUEUE, g.raw);
    }
    ids.push(...(await sendWork(app, QUEUE, 5)));

    const done = new Completion(redis, ids);
    await done.waitAll(15_000);
    await waitFor('every garbage entry dead-lettered', async () => (await redis.llen('celeriac.deadletter')) >= bad.length, 10_000);
    const check = checkDeadLetters(bad, await redis.lrange('celeriac.deadletter', 0, -1));
    report('faults/garbage', { good: ids.length, completed: ids.length - done.open.size, garbage: bad.length, deadLettered: await redis.llen('celeriac.deadletter'), missing: check.missing.length, wrongReason: check.wrongReason.length });

    expect(check.missing).toEqual([]);
    expect(check.wrongReason).toEqual([]);
    expect(await redis.llen('celeriac.deadletter')).toBe(bad.length);
    expect(w.alive()).toBe(true);
    expect(await redis.zscore('celeriac.workers', wid)).not.toBeNull();
    expect(await redis.llen(QUEUE)).toBe(0);
    expect(await redis.hlen(`celeriac.unacked.${wid}`)).toBe(0);
  }, 40_000);
});
