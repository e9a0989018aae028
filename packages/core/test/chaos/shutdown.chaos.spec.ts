// SIGTERM to worker processes under continuous load: the warm one finishes its in-flight tasks, gives back
// what it prefetched and exits within its grace period, running nothing twice; a second signal to another
// makes it cold (in-flight tasks go back). Every task completes on the remaining workers.
import { Completion, duplicates, inRedis, report, sendWork, sleep, useChaosEnv, waitFor } from '../faults/chaos-support';

const QUEUE = 'chaos.shutdown';
const CONCURRENCY = 5;
const GRACE = 10_000;

describe('chaos: SIGTERM during load', () => {
  const env = useChaosEnv('chaos-shutdown');

  it('warm then cold shutdowns lose nothing; warm runs nothing twice; exits within the grace period', async () => {
    const { redis, app } = env;
    const settings = { WORKER_SHUTDOWN_TIMEOUT: String(GRACE), WORKER_PREFETCH_MULTIPLIER: '4' };
    const o = { queue: QUEUE, concurrency: CONCURRENCY, settings };
    const started = await env.startWorkers(3, o);
    const procs = started.map((s) => s.w);
    const ids = started.map((s) => s.id);

    // Continuous load: 200–400 ms tasks, 8 every 200 ms (about 12 of the 15 slots busy).
    const sent: string[] = [];
    let stop = false;
    const producer = (async () => {
      while (!stop) {
        sent.push(...(await sendWork(app, QUEUE, 8, () => 200 + Math.floor(Math.random() * 200))));
        await sleep(200);
      }
    })();
    await sleep(2_000);

    // Warm: one SIGTERM, sent while that worker holds work. A snapshot after a fixed sleep found it empty once in
    // CI (the others had fetched the last batch; a worker fetches up to its prefetch at once), so wait for it.
    let heldAtWarm = 0;
    await waitFor('the first worker to hold a task', async () => (heldAtWarm = await redis.hlen(`celeriac.unacked.${ids[0]}`)) > 0, 15_000, 10);
    const t0 = Date.now();
    procs[0]!.proc.kill('SIGTERM');
    const warm = await procs[0]!.exited;
    const warmExitMs = warm.at - t0;
    const warmHeldAfter = await redis.hlen(`celeriac.unacked.${ids[0]}`);
    const warmRegistered = await redis.zscore('celeriac.workers', ids[0]!);
    const sentAtWarm = sent.length;
    const dupAfterWarm = await duplicates(redis, sent.slice(0, sentAtWarm));

    await sleep(1_000);
    // Cold: SIGTERM twice.
    const heldAtCold = await redis.hlen(`celeriac.unacked.${ids[1]}`);
    const t1 = Date.now();
    procs[1]!.proc.kill('SIGTERM');
    await sleep(100);
    procs[1]!.proc.kill('SIGTERM');
    const cold = await procs[1]!.exited;
    const coldExitMs = cold.at - t1;
    const coldHeldAfter = await redis.hlen(`celeriac.unacked.${ids[1]}`);

    // A replacement joins; load stops; everything drains.
    await env.startWorker(o);
    await sleep(1_000);
    stop = true;
    await producer;
    const done = new Completion(redis, sent);
    const drainMs = await done.waitAll(60_000);
    const dup = await duplicates(redis, sent);
    report('chaos/sigterm', {
      sent: sent.length,
      completed: sent.length - done.open.size,
      heldAtWarmSigterm: heldAtWarm,
      warmExitMs,
      heldAtColdSigterm: heldAtCold,
      coldExitMs,
      duplicatedTasks: dup.tasks,
      drainMs,
    });

    expect(warm.code).toBe(0);
    expect(warmExitMs).toBeLessThan(GRACE);
    expect(warmHeldAfter).toBe(0);
    expect(warmRegistered).toBeNull();
    expect(heldAtWarm).toBeGreaterThan(0);
    expect(cold.code).toBe(0);
    expect(coldExitMs).toBeLessThan(1_500);
    expect(coldHeldAfter).toBe(0);
    expect(done.open.size).toBe(0);
    expect(dup.neverRan).toBe(0);
    // Warm ran nothing twice; cold gave back at most its in-flight tasks, which run again.
    expect(dupAfterWarm.tasks).toBe(0);
    expect(dup.extraRuns).toBeLessThanOrEqual(CONCURRENCY);
    expect(procs[2]!.alive()).toBe(true);
    await waitFor('nothing queued or held', async () => JSON.stringify(await inRedis(redis, QUEUE)) === '{"queued":0,"held":0}', 5_000);
  }, 90_000);
});
