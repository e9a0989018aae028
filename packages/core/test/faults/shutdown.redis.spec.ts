// SIGTERM to a worker process under load: warm shutdown (in-flight tasks finish, prefetched ones go back
// to the queue, the process exits within its grace period); a second signal makes it cold (in-flight
// tasks go back too). Nothing is lost either way: a fresh worker then completes every task.
import { Completion, duplicates, inRedis, report, runsPerTask, sendWork, sleep, useChaosEnv, waitFor } from './chaos-support';

const CONCURRENCY = 4;
const PREFETCH = 4;
const GRACE = 8_000;

describe('SIGTERM during load', () => {
  const env = useChaosEnv('faults-shutdown');
  const settings = { WORKER_PREFETCH_MULTIPLIER: String(PREFETCH), WORKER_SHUTDOWN_TIMEOUT: String(GRACE) };

  afterEach(async () => {
    await env.workers.killAll();
  });

  it('warm: in-flight tasks finish, prefetched ones go back, the process exits within the grace period', async () => {
    const { redis, app } = env;
    const queue = 'faults.warm';
    const { w, id: wid } = await env.startWorker({ queue, concurrency: CONCURRENCY, settings });
    const ids = await sendWork(app, queue, 40, 1_500);
    await waitFor('4 tasks running', async () => (await runsPerTask(redis)).size === CONCURRENCY, 10_000, 20);
    const held = await redis.hlen(`celeriac.unacked.${wid}`);
    const inFlight = [...(await runsPerTask(redis)).keys()];

    const t0 = Date.now();
    w.proc.kill('SIGTERM');
    const exit = await w.exited;
    const exitMs = exit.at - t0;

    // The running four finished and stored SUCCESS; the rest (prefetched or never fetched) are queued again.
    const done = new Completion(redis, inFlight);
    expect(await done.poll()).toBe(0);
    const after = await inRedis(redis, queue);
    expect(after).toEqual({ queued: ids.length - CONCURRENCY, held: 0 });
    expect(await redis.zscore('celeriac.workers', wid)).toBeNull();

    // A fresh worker runs the rest; nothing ran twice.
    env.spawn({ queue, concurrency: 20, settings });
    const all = new Completion(redis, ids);
    await all.waitAll(15_000);
    const dup = await duplicates(redis, ids);
    report('faults/sigterm-warm', { sent: ids.length, inFlight: CONCURRENCY, prefetchedGivenBack: held - CONCURRENCY, exitMs, completed: ids.length - all.open.size, duplicated: dup.tasks });
    expect(exit.code).toBe(0);
    expect(exitMs).toBeLessThan(GRACE);
    expect(held).toBeGreaterThan(CONCURRENCY);
    expect(dup).toEqual({ tasks: 0, extraRuns: 0, neverRan: 0 });
  }, 45_000);

  it('warm past the grace period: tasks still running are given back, the process exits', async () => {
    const { redis, app } = env;
    const queue = 'faults.grace';
    const { w } = await env.startWorker({ queue, concurrency: CONCURRENCY, settings: { ...settings, WORKER_SHUTDOWN_TIMEOUT: '1000' } });
    await redis.del('chaos.runs');
    const ids = await sendWork(app, queue, 10, 20_000);
    await waitFor('4 tasks running', async () => (await runsPerTask(redis)).size === CONCURRENCY, 10_000, 20);
    const t0 = Date.now();
    w.proc.kill('SIGTERM');
    const exit = await w.exited;
    const exitMs = exit.at - t0;
    report('faults/sigterm-grace', { sent: ids.length, inFlight: CONCURRENCY, graceMs: 1000, exitMs });
    expect(exit.code).toBe(0);
    expect(exitMs).toBeLessThan(1_000 + 2_000);
    expect(await inRedis(redis, queue)).toEqual({ queued: ids.length, held: 0 });
    expect(await new Completion(redis, ids).poll()).toBe(ids.length);
  }, 30_000);

  it('a second signal: cold shutdown, in-flight tasks go back to the queue', async () => {
    const { redis, app } = env;
    const queue = 'faults.cold';
    const { w } = await env.startWorker({ queue, concurrency: CONCURRENCY, settings });
    await redis.del('chaos.runs');
    const ids = await sendWork(app, queue, 20, 20_000);
    await waitFor('4 tasks running', async () => (await runsPerTask(redis)).size === CONCURRENCY, 10_000, 20);
    const inFlight = [...(await runsPerTask(redis)).keys()];

    const t0 = Date.now();
    w.proc.kill('SIGTERM');
    await sleep(300);
    expect(w.alive()).toBe(true); // warm: still waiting for its 20-second tasks
    w.proc.kill('SIGTERM');
    const exit = await w.exited;
    const exitMs = exit.at - t0;

    const after = await inRedis(redis, queue);
    expect(after).toEqual({ queued: ids.length, held: 0 });
    expect(await new Completion(redis, inFlight).poll()).toBe(CONCURRENCY);

    // The queue holds every one of the 20 messages again, the interrupted four included.
    const queuedIds = (await redis.lrange(queue, 0, -1)).map((raw) => (JSON.parse(raw) as { headers: { id: string } }).headers.id);
    expect(new Set(queuedIds)).toEqual(new Set(ids));
    report('faults/sigterm-cold', { sent: ids.length, inFlightGivenBack: CONCURRENCY, exitMs, queuedAfter: after.queued });
    expect(exit.code).toBe(0);
    expect(exitMs).toBeLessThan(3_000);
  }, 30_000);
});
