// Limits: a task that never settles is failed by its time limit and frees its slot (a concurrency-1
// worker goes on to the next task); a 50 MB argument is refused at .delay() by taskMessageMaxSize
// (SerializationError) and nothing is sent.
import { SerializationError, TaskError, createApp } from '@celeriac/core';
import { inRedis, report, runsPerTask, useChaosEnv } from '../faults/chaos-support';

describe('chaos: limits', () => {
  const env = useChaosEnv('chaos-limits');

  it('a task that never settles fails at its time limit and its slot runs the next task', async () => {
    const { redis, app } = env;
    const queue = 'chaos.limits';
    const { w } = await env.startWorker({ queue, concurrency: 1 });
    const t0 = Date.now();
    const hangs = await Promise.all([1, 2, 3].map(() => app.sendTask('chaos.hang', [], { queue })));
    const next = await app.sendTask('chaos.work', ['after the hang', 0], { queue });
    const errors = await Promise.all(hangs.map((h) => h.get({ timeout: 10_000 }).then(() => null, (e: unknown) => e)));
    const hangsMs = Date.now() - t0;
    expect(await next.get({ timeout: 5_000 })).toBe('after the hang');
    const totalMs = Date.now() - t0;
    report('chaos/time-limit', { hangingTasks: hangs.length, timeLimitMs: 1_000, allFailedAfterMs: hangsMs, nextTaskDoneAfterMs: totalMs, workerAlive: String(w.alive()) });
    for (const e of errors) {
      expect(e).toBeInstanceOf(TaskError);
      expect((e as TaskError).excType).toBe('TimeLimitExceeded');
    }
    // One slot: three 1-second limits one after the other, then the next task.
    expect(hangsMs).toBeGreaterThanOrEqual(3 * 1_000 - 50);
    expect(totalMs).toBeLessThan(3 * 1_000 + 3_000);
    expect((await runsPerTask(redis)).size).toBe(4);
    expect(w.alive()).toBe(true);
    expect(await inRedis(redis, queue)).toEqual({ queued: 0, held: 0 });
  }, 30_000);

  it('a 50 MB argument is refused at .delay() with a SerializationError; nothing is sent', async () => {
    const { redis, app } = env;
    const queue = 'chaos.big';
    const big = 'x'.repeat(50 * 1024 * 1024);
    const t0 = Date.now();
    const err = await app.sendTask('chaos.work', [big, 0], { queue }).then(() => null, (e: unknown) => e);
    const ms = Date.now() - t0;
    report('chaos/message-size', { argBytes: big.length, limitBytes: app.settings.taskMessageMaxSize, refusedInMs: ms, queued: await redis.llen(queue) });
    expect(err).toBeInstanceOf(SerializationError);
    expect((err as Error).message).toMatch(/chaos\.work/);
    expect((err as Error).message).toMatch(/taskMessageMaxSize/);
    expect(await redis.llen(queue)).toBe(0);
    expect(await redis.keys('celery-task-meta-*')).not.toContainEqual(expect.stringContaining('big'));
  }, 30_000);

  it('the limit is configurable: taskMessageMaxSize 4096 refuses 8 kB and accepts 1 kB', async () => {
    const { server, redis } = env;
    const queue = 'chaos.small';
    const small = createApp('chaos-limits-small', { broker: server.url(), taskMessageMaxSize: 4_096 });
    try {
      await expect(small.sendTask('chaos.work', ['y'.repeat(8_192), 0], { queue })).rejects.toBeInstanceOf(SerializationError);
      expect(await redis.llen(queue)).toBe(0);
      await small.sendTask('chaos.work', ['y'.repeat(1_024), 0], { queue });
      expect(await redis.llen(queue)).toBe(1);
    } finally {
      await small.close();
    }
  });
});
