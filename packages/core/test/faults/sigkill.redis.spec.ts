// A worker SIGKILLed mid-run loses no task: the other worker gives back its held messages after the
// heartbeat timeout (2 s here), and every one of 10,000 tasks completes. Tasks run twice are counted.
import { Completion, duplicates, inRedis, report, sendWork, useChaosEnv, waitFor } from './chaos-support';

const QUEUE = 'faults.sigkill';
const CONCURRENCY = 20;
const PREFETCH = 4;

describe('a worker SIGKILLed mid-run', () => {
  const env = useChaosEnv('faults-sigkill');

  it('loses none of 10,000 tasks; the survivor takes the dead worker’s messages back', async () => {
    const { redis, app } = env;
    const settings = { WORKER_PREFETCH_MULTIPLIER: String(PREFETCH), TASK_TRACK_STARTED: 'false' };
    const [victim, survivor] = await env.startWorkers(2, { queue: QUEUE, concurrency: CONCURRENCY, settings }, ['victim', 'survivor']);
    const { w: a, id: aId } = victim!;
    const b = survivor!.w;

    const t0 = Date.now();
    const ids = await sendWork(app, QUEUE, 10_000, () => Math.floor(Math.random() * 4));
    const done = new Completion(redis, ids);

    await waitFor('2,000 completed', async () => (await done.poll()) <= 8_000, 30_000, 50);
    const heldAtKill = await redis.hlen(`celeriac.unacked.${aId}`);
    a.proc.kill('SIGKILL');
    await a.exited;
    const completedAtKill = ids.length - done.open.size;

    // The survivor's heartbeat gives the hash back once the victim is 2 s late.
    const recoveredIn = await waitFor('the victim’s messages given back', async () => (await redis.exists(`celeriac.unacked.${aId}`)) === 0, 10_000, 25);
    await done.waitAll(40_000);
    const total = Date.now() - t0;

    const dup = await duplicates(redis, ids);
    report('faults/sigkill', {
      sent: ids.length,
      completed: ids.length - done.open.size,
      completedAtKill,
      heldByVictimAtKill: heldAtKill,
      duplicatedTasks: dup.tasks,
      extraRuns: dup.extraRuns,
      recoveryMs: recoveredIn,
      totalMs: total,
    });

    expect(done.open.size).toBe(0);
    expect(dup.neverRan).toBe(0);
    expect(heldAtKill).toBeGreaterThan(0);
    // Only what the victim held can run twice.
    expect(dup.extraRuns).toBeLessThanOrEqual(CONCURRENCY * PREFETCH);
    expect(recoveredIn).toBeLessThan(2_000 + 3_000);
    expect(b.alive()).toBe(true);
    await waitFor('nothing left queued or held', async () => JSON.stringify(await inRedis(redis, QUEUE)) === '{"queued":0,"held":0}', 5_000);
  }, 60_000);
});
