// 20,000 tasks through 3 worker processes, one SIGKILLed every 1.5 s and replaced: every task completes;
// the tasks run twice (only ones a killed worker held) are counted and printed.
import { Completion, duplicates, inRedis, report, sendWork, sleep, useChaosEnv, waitFor, type ReadyWorker } from '../faults/chaos-support';

const QUEUE = 'chaos.kill';
const CONCURRENCY = 20;
const PREFETCH = 4;
const TOTAL = 20_000;

describe('chaos: workers SIGKILLed every few seconds', () => {
  const env = useChaosEnv('chaos-kill');

  it('completes all 20,000 tasks', async () => {
    const { redis, app } = env;
    const settings = { WORKER_PREFETCH_MULTIPLIER: String(PREFETCH), TASK_TRACK_STARTED: 'false' };
    // One at a time: each waits until it has registered before the next is spawned.
    const start = () => env.startWorker({ queue: QUEUE, concurrency: CONCURRENCY, settings });
    const live: ReadyWorker[] = [];
    for (let i = 0; i < 3; i++) live.push(await start());

    const t0 = Date.now();
    // The killer: every 1.5 s, SIGKILL one worker and start a replacement, until every task is done.
    let finished = false;
    const recoveries: number[] = [];
    let heldByKilled = 0;
    const pending: Promise<void>[] = [];
    const killer = (async () => {
      while (!finished) {
        await sleep(1_500);
        if (finished) break;
        const victim = live.splice(Math.floor(Math.random() * live.length), 1)[0]!;
        heldByKilled += await redis.hlen(`celeriac.unacked.${victim.id}`);
        victim.w.proc.kill('SIGKILL');
        await victim.w.exited;
        const killedAt = Date.now();
        pending.push(
          waitFor('a killed worker’s messages given back', async () => (await redis.exists(`celeriac.unacked.${victim.id}`)) === 0, 15_000, 50).then(() => {
            recoveries.push(Date.now() - killedAt);
          }),
        );
        live.push(await start());
      }
    })();

    const ids = await sendWork(app, QUEUE, TOTAL, () => 20 + Math.floor(Math.random() * 40));
    const sentMs = Date.now() - t0;
    const done = new Completion(redis, ids);
    try {
      await done.waitAll(150_000);
    } finally {
      finished = true;
      await killer;
    }
    await Promise.all(pending);
    const totalMs = Date.now() - t0;
    const dup = await duplicates(redis, ids);
    const kills = recoveries.length;
    report('chaos/kill-workers', {
      sent: ids.length,
      sentInMs: sentMs,
      completed: ids.length - done.open.size,
      kills,
      heldByKilledWorkers: heldByKilled,
      duplicatedTasks: dup.tasks,
      extraRuns: dup.extraRuns,
      recoveryMsAvg: kills ? Math.round(recoveries.reduce((a, b) => a + b, 0) / kills) : 0,
      recoveryMsMax: Math.max(0, ...recoveries),
      totalMs,
    });

    expect(done.open.size).toBe(0);
    expect(dup.neverRan).toBe(0);
    expect(kills).toBeGreaterThanOrEqual(3);
    // Only messages a killed worker held (at most concurrency × prefetch each) can run twice.
    expect(dup.extraRuns).toBeLessThanOrEqual(kills * CONCURRENCY * PREFETCH);
    expect(Math.max(...recoveries)).toBeLessThan(2_000 + 3_000);
    for (const { w } of live) expect(w.alive()).toBe(true);
    await waitFor('nothing queued or held', async () => JSON.stringify(await inRedis(redis, QUEUE)) === '{"queued":0,"held":0}', 5_000);
  }, 180_000);
});
