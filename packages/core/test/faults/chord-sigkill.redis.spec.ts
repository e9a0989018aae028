// A worker SIGKILLed in the middle of a chord's header: the survivor takes its messages back after the heartbeat
// timeout, a header task run twice is counted once (same `.j` member), the body runs once with every result in
// order, and no chord key is left.
import { chord } from '@celeriac/core';
import { report, useChaosEnv, waitFor } from './chaos-support';

const QUEUE = 'faults.chord';

describe('a worker SIGKILLed during a chord', () => {
  const env = useChaosEnv('faults-chord');

  it('the chord of 3,000 still completes once, in order, and leaves no celery-taskset-meta key', async () => {
    const { redis, app } = env;
    const settings = { WORKER_PREFETCH_MULTIPLIER: '4', TASK_TRACK_STARTED: 'false' };
    const [victim] = await env.startWorkers(2, { queue: QUEUE, concurrency: 20, settings }, ['victim', 'survivor']);
    const header = Array.from({ length: 3_000 }, (_, i) => app.signature('chaos.work', [i, 2], {}, { queue: QUEUE }));
    const res = await chord(header, app.signature('chaos.collect', [], {}, { queue: QUEUE })).applyAsync();
    const gid = (res.parent as { id: string }).id;

    await waitFor('500 header tasks counted', async () => (await redis.zcard(`celery-taskset-meta-${gid}.j`)) >= 500, 30_000, 20);
    const heldAtKill = await redis.hlen(`celeriac.unacked.${victim!.id}`);
    victim!.w.proc.kill('SIGKILL');
    await victim!.w.exited;
    const countedAtKill = await redis.zcard(`celery-taskset-meta-${gid}.j`);

    await expect(res.get({ timeout: 60_000 })).resolves.toEqual({ n: 3_000, inOrder: true });
    const runs = await redis.smembers('chaos.runs');
    expect(runs.filter((r) => r.startsWith(`${res.id}|`))).toHaveLength(1);
    expect(heldAtKill).toBeGreaterThan(0);
    expect(countedAtKill).toBeLessThan(3_000);
    report('faults/chord-sigkill', { header: 3_000, countedAtKill, heldByVictimAtKill: heldAtKill, headerRuns: runs.length - 1 });
    expect(await redis.keys('celery-taskset-meta-*')).toEqual([]);
  }, 90_000);
});
