// A Sentinel failover under load: producers keep calling .delay(), a worker keeps running tasks, and the master
// is failed over (SENTINEL FAILOVER) or SIGKILLed. Producers and the worker resume by themselves on the new master;
// every .delay() that resolved runs (or the loss is measured and reported), results keep reaching get().
import { consoleLogger, createApp, type Celeriac, type Worker } from '@celeriac/core';
import { report } from '../faults/chaos-support';
import { startSentinels, type SentinelDeployment } from '../support/sentinel';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

interface Outcome {
  resolved: number;
  rejected: number;
  ran: number;
  lost: string[];
  /** When the lost sends resolved, in ms from the start of the disruption (null: none lost). */
  lossWindow: [number, number] | null;
  duplicated: number;
  switchMs: number;
  /** From the switch until the first .delay() sent after it resolved / the first task sent after it ran. */
  firstDelayAfterMs: number;
  firstRunAfterMs: number;
}

let deployment: SentinelDeployment;
let apps: Celeriac[] = [];
let workers: Worker[] = [];

beforeEach(async () => {
  deployment = await startSentinels();
}, 60_000);
afterEach(async () => {
  await Promise.all(workers.map((w) => w.close({ timeout: 1_000 })));
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
  workers = [];
  await deployment.stop();
});

function makeApp(name: string): Celeriac {
  const app = createApp(name, {
    ...deployment.settings(0),
    // NOTE: long enough for a send to wait through the failover (down-after 1 s, then the election).
    brokerConnectionTimeout: 20_000,
    workerHeartbeatInterval: 500,
    workerHeartbeatTimeout: 5_000,
    logger: consoleLogger(process.env.CELERIAC_TEST_LOG === '1' ? 'debug' : 'silent'),
  });
  apps.push(app);
  return app;
}

/** Load before, during and after `disrupt`; returns what resolved, what ran and when things came back. */
async function underLoad(name: string, disrupt: () => Promise<unknown>): Promise<Outcome> {
  const runs = new Map<string, number>();
  const workerApp = makeApp(`${name}-worker`);
  workerApp.task('f.work', (label: string) => label);
  workerApp.task('f.record', (id: string) => {
    runs.set(id, (runs.get(id) ?? 0) + 1);
    return id;
  });
  const worker = workerApp.worker({ concurrency: 10 });
  workers.push(worker);
  await worker.start();

  const producer = makeApp(`${name}-producer`);
  const record = producer.task('f.record', (id: string) => id);
  // A result awaited across the failover: the subscriber moves to the new master and still hears it.
  const slow = producer.task('f.work', (label: string) => label);
  const resolved: { id: string; at: number }[] = [];
  let rejected = 0;
  const errors = new Set<string>();
  let stop = false;
  let n = 0;
  const produce = async () => {
    while (!stop) {
      const id = `${name}-${n++}`;
      try {
        await record.applyAsync([id], { taskId: id });
        resolved.push({ id, at: Date.now() });
      } catch (err) {
        rejected++;
        errors.add((err as Error).message);
      }
      await sleep(5);
    }
  };
  const running = Array.from({ length: 4 }, produce);
  await sleep(1_500);
  const before = await slow.applyAsync(['across'], { countdown: 1_000 });
  const acrossGet = before.get({ timeout: 40_000 });
  const t0 = Date.now();
  await disrupt();
  const switchedAt = Date.now();
  await sleep(3_000);
  stop = true;
  await Promise.all(running);
  if (errors.size) console.log(`[${name}] rejections: ${[...errors].join(' | ')}`);

  await expect(acrossGet).resolves.toBe('across');
  const after = resolved.filter((r) => r.at > switchedAt);
  expect(after.length).toBeGreaterThan(0);
  await until('the tasks sent after the switch to run', () => after.every((r) => runs.has(r.id)), 30_000);
  const firstAfter = after[0]!;
  const firstRunAfterMs = await (async () => {
    // NOTE: runs are only counted; a result's date_done says when it ran. Its store can come later than the run
    // (with min-replicas-to-write, it waits until the new master has a replica).
    const deadline = Date.now() + 20_000;
    for (;;) {
      const meta = await producer.asyncResult(firstAfter.id).meta();
      if (meta?.date_done) return Date.parse(`${meta.date_done}Z`) - switchedAt;
      if (Date.now() > deadline) return NaN;
      await sleep(100);
    }
  })();
  // Every resolved send is given time to run; what is still missing then is lost.
  await until('every resolved send to run', () => resolved.every((r) => runs.has(r.id)), 20_000).catch(() => undefined);
  const lostSends = resolved.filter((r) => !runs.has(r.id));
  const lost = lostSends.map((r) => r.id);
  const lossWindow: [number, number] | null = lostSends.length ? [lostSends[0]!.at - t0, lostSends[lostSends.length - 1]!.at - t0] : null;
  const duplicated = [...runs.values()].filter((c) => c > 1).length;
  // The worker resumed by itself and is still healthy: a fresh task after everything settled runs.
  await expect((await record.delay(`${name}-final`)).get({ timeout: 15_000 })).resolves.toBe(`${name}-final`);
  return {
    resolved: resolved.length,
    rejected,
    ran: runs.size,
    lost,
    lossWindow,
    duplicated,
    switchMs: switchedAt - t0,
    firstDelayAfterMs: firstAfter.at - switchedAt,
    firstRunAfterMs,
  };
}

function reportOutcome(name: string, o: Outcome): void {
  report(name, {
    resolved: o.resolved,
    rejected: o.rejected,
    ran: o.ran,
    lost: o.lost.length,
    lossWindowMs: o.lossWindow ? `${o.lossWindow[0]}..${o.lossWindow[1]}` : 'none',
    duplicated: o.duplicated,
    failoverMs: o.switchMs,
    firstDelayAfterSwitchMs: o.firstDelayAfterMs,
    firstRunAfterSwitchMs: o.firstRunAfterMs,
  });
}

/**
 * Replication is asynchronous: a write the old master acknowledged but had not passed on to the replica it lost is
 * gone. Such losses may only be sends that resolved while the master changed (from a second before the
 * disruption until it settled); anything sent before or after it must run.
 */
function expectLossOnlyInTheSwitch(o: Outcome): void {
  if (!o.lossWindow) return;
  expect(o.lossWindow[0]).toBeGreaterThanOrEqual(-1_000);
  expect(o.lossWindow[1]).toBeLessThanOrEqual(o.switchMs + 1_000);
}

test('SENTINEL FAILOVER under load: producers and the worker move to the new master by themselves; a loss can only be in the switch', async () => {
  const o = await underLoad('sentinel-failover', () => deployment.failover());
  reportOutcome('sentinel failover (SENTINEL FAILOVER)', o);
  expectLossOnlyInTheSwitch(o);
  expect(o.rejected).toBe(0);
  // NOTE: the demoted master is reconfigured only at the sentinels' next INFO (up to 10 s later); the worker does
  // not wait for that: it follows its command connection to the new master (typically within 100 ms).
  expect(o.firstRunAfterMs).toBeLessThan(8_000);
}, 120_000);

test('SENTINEL FAILOVER with min-replicas-to-write 1: the old master refuses writes once its replica is gone; a loss can only be in the switch', async () => {
  await deployment.stop();
  deployment = await startSentinels({ minReplicasToWrite: 1 });
  const o = await underLoad('sentinel-failover-min-replicas', () => deployment.failover());
  reportOutcome('sentinel failover (SENTINEL FAILOVER, min-replicas-to-write 1)', o);
  // NOTE: with two data servers the new master has no replica either until the sentinels reconfigure the old one
  // (their next INFO, up to 10 s) and it syncs: sends wait through NOREPLICAS for that long (~15 s here), by design
  // of the setting, so firstDelayAfterSwitchMs is reported, not bounded. Replication stays asynchronous: a send
  // the old master acknowledged just before its replica left can still be lost (seen once, under CI load).
  expectLossOnlyInTheSwitch(o);
  expect(o.rejected).toBe(0);
}, 120_000);

test('master SIGKILLed under load: the sentinels promote the replica and work resumes; a loss can only be in the switch', async () => {
  const o = await underLoad('sentinel-kill', () => deployment.killMaster());
  reportOutcome('sentinel failover (master SIGKILLed)', o);
  expectLossOnlyInTheSwitch(o);
  expect(o.rejected).toBe(0);
}, 120_000);

test('a worker busy through a SENTINEL FAILOVER waits for work on the new master, not on the demoted one', async () => {
  // NOTE: one slot, no prefetch: while the held task runs the worker does not wait for messages, so its peek of the
  // main list is not in flight when the commands move to the new master; its next wait must not go to the old one
  // (it keeps answering as a master, with an empty list, until the sentinels reconfigure it seconds later).
  const ran = new Set<string>();
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let started = false;
  const workerApp = makeApp('busy-worker');
  workerApp.task('f.hold', async () => {
    started = true;
    await held;
    return 'held';
  });
  workerApp.task('f.record', (id: string) => {
    ran.add(id);
    return id;
  });
  const worker = workerApp.worker({ concurrency: 1, prefetchMultiplier: 1 });
  workers.push(worker);
  await worker.start();
  const producer = makeApp('busy-producer');
  const hold = producer.task('f.hold', () => 'held');
  const record = producer.task('f.record', (id: string) => id);
  await sleep(500);
  const holding = await hold.delay();
  await until('the held task to start', () => started, 10_000);

  await deployment.failover();
  await sleep(500);
  release();
  await expect(holding.get({ timeout: 15_000 })).resolves.toBe('held');
  const sentAt = Date.now();
  await record.delay('after');
  await until('the task sent after the failover to run', () => ran.has('after'), 20_000);
  const ms = Date.now() - sentAt;
  report('sentinel failover (worker busy through it)', { firstRunAfterReleaseMs: ms });
  expect(ms).toBeLessThan(3_000);
}, 120_000);
