// The Redis-restart scenario, shared by faults/redis-restart.redis.spec.ts and chaos/redis-restart.chaos.spec.ts.
import type Redis from 'ioredis';
import { BrokerError, type Celeriac } from '@celeriac/core';
import type { RedisServer } from '../support/redis-server';
import { Completion, type WorkerProcesses, duplicates, report, sleep, waitFor, waitForWorker } from './chaos-support';

export interface RestartScenario {
  name: string;
  server: RedisServer;
  redis: Redis;
  app: Celeriac;
  workers: WorkerProcesses;
  workerCount: number;
  producers: number;
  /** ms of load before the kill, the outage, and after the restart */
  before: number;
  outage: number;
  after: number;
  connectionTimeout: number;
}

export async function runRestartScenario(s: RestartScenario): Promise<void> {
  const queue = `${s.name.replace(/\W/g, '.')}`;
  const settings = { BROKER_CONNECTION_TIMEOUT: String(s.connectionTimeout), TASK_TRACK_STARTED: 'false' };
  const procs = Array.from({ length: s.workerCount }, () => s.workers.spawn({ url: s.server.url(), queue, concurrency: 10, settings }));
  for (const w of procs) await waitForWorker(s.redis, w);

  const resolved: { id: string; at: number }[] = [];
  const rejected: { ms: number; error: unknown }[] = [];
  let stop = false;
  let n = 0;
  const producer = async () => {
    while (!stop) {
      const t0 = Date.now();
      try {
        const r = await s.app.sendTask('chaos.work', [`r${n++}`, 2], { queue });
        resolved.push({ id: r.id, at: Date.now() });
      } catch (error) {
        rejected.push({ ms: Date.now() - t0, error });
      }
      await sleep(10);
    }
  };
  const running = Array.from({ length: s.producers }, producer);

  await sleep(s.before);
  const sentBeforeKill = resolved.length;
  await s.server.kill();
  const killedAt = Date.now();
  await sleep(s.outage);
  await s.server.restart();
  const restartedAt = Date.now();
  await sleep(s.after);
  stop = true;
  await Promise.all(running);

  const done = new Completion(s.redis, resolved.map((r) => r.id));
  const afterRestart = resolved.filter((r) => r.at > restartedAt).map((r) => r.id);
  // Time to recover: from the restart until a task sent after it has a result.
  const firstAfter = new Completion(s.redis, afterRestart.slice(0, 1));
  await firstAfter.waitAll(20_000);
  const drained = await done.waitAll(30_000).catch(async (err: Error) => {
    const hashes: Record<string, number> = {};
    for (const k of await s.redis.keys('celeriac.unacked.*')) hashes[k] = await s.redis.hlen(k);
    const states: Record<string, number> = {};
    for (const v of done.states.values()) states[v] = (states[v] ?? 0) + 1;
    const runs = await duplicates(s.redis, done.open);
    throw new Error(
      `${err.message}: ${done.open.size} of ${resolved.length} open (never ran: ${runs.neverRan}); states ${JSON.stringify(states)}; ` +
        `queued ${await s.redis.llen(queue)}; held ${JSON.stringify(hashes)}; workers ${JSON.stringify(await s.redis.zrange('celeriac.workers', 0, -1, 'WITHSCORES'))}\n` +
        procs.map((w) => `--- ${w.label} (alive ${w.alive()})\n${w.output().slice(-3000)}`).join('\n'),
    );
  });
  const dup = await duplicates(s.redis, resolved.map((r) => r.id));
  // Time to recover: the first .delay() that resolved after the restart, and the first task done after it.
  const firstDelayMs = Math.min(...resolved.filter((r) => r.at > restartedAt).map((r) => r.at)) - restartedAt;
  const metas = await s.redis.mget(...resolved.map((r) => `celery-task-meta-${r.id}`));
  const doneTimes = metas.map((m) => (m ? Date.parse(`${(JSON.parse(m) as { date_done: string }).date_done}Z`) : NaN)).filter((t) => t > restartedAt);
  const firstDoneMs = Math.min(...doneTimes) - restartedAt;
  const during = resolved.filter((r) => r.at > killedAt && r.at <= restartedAt).length;
  report(s.name, {
    resolved: resolved.length,
    sentBeforeKill,
    resolvedDuringOutage: during,
    rejected: rejected.length,
    slowestRejectionMs: Math.max(0, ...rejected.map((r) => r.ms)),
    completed: resolved.length - done.open.size,
    duplicated: dup.tasks,
    outageMs: restartedAt - killedAt,
    firstDelayAfterRestartMs: firstDelayMs,
    firstTaskDoneAfterRestartMs: firstDoneMs,
    drainAfterLoadMs: drained,
  });

  expect(done.open.size).toBe(0);
  expect(afterRestart.length).toBeGreaterThan(0);
  expect(rejected.length).toBeGreaterThan(0); // the outage is longer than brokerConnectionTimeout
  for (const { ms, error } of rejected) {
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as Error).message).toContain(s.server.url().replace(/\/0$/, ''));
    expect(ms).toBeLessThan(s.connectionTimeout + 1_000);
  }
  for (const w of procs) expect(w.alive()).toBe(true);
  // Nothing is left held by a worker that is alive and idle.
  await waitFor(
    'no message stranded in a live worker’s unacked hash',
    async () => {
      let held = 0;
      for (const k of await s.redis.keys('celeriac.unacked.*')) held += await s.redis.hlen(k);
      return held === 0 && (await s.redis.llen(queue)) === 0;
    },
    5_000,
  );
}
