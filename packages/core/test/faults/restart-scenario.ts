// The Redis-restart scenario, shared by faults/redis-restart.redis.spec.ts and chaos/redis-restart.chaos.spec.ts.
import { BrokerError } from '@celeriac/core';
import { Completion, type ChaosEnv, duplicates, report, sleep, waitFor } from './chaos-support';

export interface RestartScenario {
  name: string;
  /** From useChaosEnv({ appendonly: true }): the server is killed and restarted. */
  env: ChaosEnv;
  workerCount: number;
  producers: number;
  /** ms of load before the kill, the outage, and after the restart */
  before: number;
  outage: number;
  after: number;
  connectionTimeout: number;
}

export async function runRestartScenario(s: RestartScenario): Promise<void> {
  const { server, redis, app } = s.env;
  const queue = `${s.name.replace(/\W/g, '.')}`;
  const settings = { BROKER_CONNECTION_TIMEOUT: String(s.connectionTimeout), TASK_TRACK_STARTED: 'false' };
  const procs = (await s.env.startWorkers(s.workerCount, { queue, concurrency: 10, settings })).map((r) => r.w);

  const resolved: { id: string; at: number }[] = [];
  const rejected: { ms: number; error: unknown }[] = [];
  let stop = false;
  let n = 0;
  const producer = async () => {
    while (!stop) {
      const t0 = Date.now();
      try {
        const r = await app.sendTask('chaos.work', [`r${n++}`, 2], { queue });
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
  await server.kill();
  const killedAt = Date.now();
  await sleep(s.outage);
  await server.restart();
  const restartedAt = Date.now();
  await sleep(s.after);
  stop = true;
  await Promise.all(running);

  const done = new Completion(redis, resolved.map((r) => r.id));
  const afterRestart = resolved.filter((r) => r.at > restartedAt).map((r) => r.id);
  // Time to recover: from the restart until a task sent after it has a result.
  const firstAfter = new Completion(redis, afterRestart.slice(0, 1));
  await firstAfter.waitAll(20_000);
  const drained = await done.waitAll(30_000).catch(async (err: Error) => {
    const hashes: Record<string, number> = {};
    for (const k of await redis.keys('celeriac.unacked.*')) hashes[k] = await redis.hlen(k);
    const states: Record<string, number> = {};
    for (const v of done.states.values()) states[v] = (states[v] ?? 0) + 1;
    const runs = await duplicates(redis, done.open);
    throw new Error(
      `${err.message}: ${done.open.size} of ${resolved.length} open (never ran: ${runs.neverRan}); states ${JSON.stringify(states)}; ` +
        `queued ${await redis.llen(queue)}; held ${JSON.stringify(hashes)}; workers ${JSON.stringify(await redis.zrange('celeriac.workers', 0, -1, 'WITHSCORES'))}\n` +
        procs.map((w) => `--- ${w.label} (alive ${w.alive()})\n${w.output().slice(-3000)}`).join('\n'),
    );
  });
  const dup = await duplicates(redis, resolved.map((r) => r.id));
  // Time to recover: the first .delay() that resolved after the restart, and the first task done after it.
  const firstDelayMs = Math.min(...resolved.filter((r) => r.at > restartedAt).map((r) => r.at)) - restartedAt;
  const metas = await redis.mget(...resolved.map((r) => `celery-task-meta-${r.id}`));
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
    expect((error as Error).message).toContain(server.url().replace(/\/0$/, ''));
    expect(ms).toBeLessThan(s.connectionTimeout + 1_000);
  }
  for (const w of procs) expect(w.alive()).toBe(true);
  // Nothing is left held by a worker that is alive and idle.
  await waitFor(
    'no message stranded in a live worker’s unacked hash',
    async () => {
      let held = 0;
      for (const k of await redis.keys('celeriac.unacked.*')) held += await redis.hlen(k);
      return held === 0 && (await redis.llen(queue)) === 0;
    },
    5_000,
  );
}
