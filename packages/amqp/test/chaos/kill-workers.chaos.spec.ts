// 10,000 tasks through 3 worker processes on RabbitMQ, one SIGKILLed every 1.5 s and replaced: every task completes
// (RabbitMQ gives a dead connection's unacked messages back at once); tasks run twice are counted and printed.
import { Completion, duplicates, report, sendWork, sleep } from '../../../core/test/faults/chaos-support';
import { useAmqpChaosEnv } from '../support/chaos';

const QUEUE = 'chaos.kill';
const CONCURRENCY = 20;
const PREFETCH = 4;
const TOTAL = 10_000;

describe('chaos on amqp://: workers SIGKILLed every few seconds', () => {
  const env = useAmqpChaosEnv('chaos-amqp-kill');

  it('completes all 10,000 tasks', async () => {
    const settings = { WORKER_PREFETCH_MULTIPLIER: String(PREFETCH), TASK_TRACK_STARTED: 'false' };
    const start = () => env.startWorker({ queue: QUEUE, concurrency: CONCURRENCY, settings });
    const live = [await start(), await start(), await start()];

    const t0 = Date.now();
    let finished = false;
    let kills = 0;
    const killer = (async () => {
      while (!finished) {
        await sleep(1_500);
        if (finished) break;
        const victim = live.splice(Math.floor(Math.random() * live.length), 1)[0]!;
        victim.proc.kill('SIGKILL');
        await victim.exited;
        kills++;
        live.push(await start());
      }
    })();

    const ids = await sendWork(env.app, QUEUE, TOTAL, () => 50 + Math.floor(Math.random() * 80));
    const sentMs = Date.now() - t0;
    const done = new Completion(env.redis, ids);
    try {
      await done.waitAll(150_000);
    } finally {
      finished = true;
      await killer;
    }
    const totalMs = Date.now() - t0;
    const dup = await duplicates(env.redis, ids);
    report('chaos/amqp-kill-workers', {
      sent: ids.length,
      sentInMs: sentMs,
      completed: ids.length - done.open.size,
      kills,
      duplicatedTasks: dup.tasks,
      extraRuns: dup.extraRuns,
      totalMs,
    });

    expect(done.open.size).toBe(0);
    expect(dup.neverRan).toBe(0);
    expect(kills).toBeGreaterThanOrEqual(3);
    // Only messages a killed worker held (at most concurrency × prefetch each) can run twice.
    expect(dup.extraRuns).toBeLessThanOrEqual(kills * CONCURRENCY * PREFETCH);
    for (const w of live) expect(w.alive()).toBe(true);
    expect(await env.app.broker.queueLength(QUEUE)).toBe(0);
  }, 240_000);
});
