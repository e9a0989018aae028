// Redis stalls (CLIENT PAUSE WRITE, like a long Lua script or a slow fsync) for longer than
// brokerConnectionTimeout: the worker's commands time out on its side but still run on Redis afterwards.
// A fetch that ran after the worker gave up on it must not strand messages in the worker's unacked hash.
import { encodeMessage } from '../../src/protocol/message';
import { Completion, duplicates, inRedis, report, sendWork, sleep, useChaosEnv, waitFor } from './chaos-support';

const QUEUE = 'faults.stall';

describe('Redis stalled longer than brokerConnectionTimeout', () => {
  const env = useChaosEnv('faults-stall');

  it('strands no message: every task completes once Redis answers again', async () => {
    const { redis, app } = env;
    const { w } = await env.startWorker({ queue: QUEUE, concurrency: 2, settings: { BROKER_CONNECTION_TIMEOUT: '400', WORKER_PREFETCH_MULTIPLIER: '2' } });
    // Warm up: the worker runs tasks, then waits (a blocking peek) on the empty queue.
    const warm = new Completion(redis, await sendWork(app, QUEUE, 20, 1));
    await warm.waitAll(10_000);
    await sleep(200);
    // In one pipeline: 300 messages arrive (waking the worker, which sends its fetch script), then Redis
    // pauses writes, scripts included, for 2.5 s: the fetch waits, the worker gives up on it after 400 ms
    // and tries again and again; when the pause ends, all of those fetches run.
    const msgs = Array.from({ length: 300 }, (_, i) => app.buildMessage('chaos.work', [`s${i}`, 10], { queue: QUEUE }));
    const ids = msgs.map((m) => m.id);
    const done = new Completion(redis, ids);
    const t0 = Date.now();
    const p = redis.pipeline();
    for (const m of msgs) p.lpush(QUEUE, encodeMessage(m));
    p.client('PAUSE', 2_500, 'WRITE');
    await p.exec();
    await sleep(2_600);
    const drained = await done.waitAll(20_000).catch(async (err: Error) => {
      throw new Error(`${err.message}; ${done.open.size} open; in Redis: ${JSON.stringify(await inRedis(redis, QUEUE))}\n${w.output().slice(-2000)}`);
    });
    const dup = await duplicates(redis, ids);
    report('faults/redis-stall', { sent: ids.length, completed: ids.length - done.open.size, duplicated: dup.tasks, pauseMs: 2_500, recoveredAfterMs: Date.now() - t0 - drained });
    expect(done.open.size).toBe(0);
    expect(w.alive()).toBe(true);
    await waitFor('nothing held', async () => (await inRedis(redis, QUEUE)).held === 0, 5_000);
  }, 45_000);
});
