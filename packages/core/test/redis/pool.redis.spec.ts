// Worker pools on a real redis-server: the pool suite, the issue's reproduction with a second worker in another
// process (the `celeriac worker` command), and CPU-bound tasks on `-P processes -c 2` using both cores.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, group, type Celeriac, type Worker } from '../../src';
import { POOL_FIXTURE, captureLogger, describePoolConformance } from '../conformance/pool.conformance';
import { until } from '../conformance/harness';
import { CliProcess, assertBuilt } from '../support/cli';
import { redisTarget } from '../support/redis-target';

const target = redisTarget();
describePoolConformance('redis://', target, { heartbeatThread: true });

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { register } = require(POOL_FIXTURE) as { register(app: Celeriac): Celeriac };
const FAST = { POOL_HB_INTERVAL: '100', POOL_HB_TIMEOUT: '500' };

describe('worker pools across processes (redis://)', () => {
  let app: Celeriac | null = null;
  let worker: Worker | null = null;
  let cli: CliProcess | null = null;
  let dir: string;
  beforeAll(() => assertBuilt());
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'celeriac-pool-'));
  });
  afterEach(async () => {
    cli?.child.kill('SIGTERM');
    await cli?.exited;
    await worker?.close({ timeout: 500 });
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
    cli = null;
    worker = null;
    app = null;
  });

  test.each(['main', 'threads', 'processes'] as const)(
    "the issue's reproduction: a 2 s synchronous task, two workers (one a `celeriac worker -P %s` process) on one queue, runs once",
    async (pool) => {
      const url = await target.freshUrl();
      const logger = captureLogger();
      app = register(createApp('pool-repro', { broker: url, logger }));
      cli = new CliProcess(['worker', '-A', 'pool-tasks.js', '-b', url, '-P', pool, '-c', '1', '-l', 'warn'], FAST);
      worker = app.worker({ concurrency: 1, heartbeatInterval: 100, heartbeatTimeout: 500, logger, ...(pool === 'main' ? {} : { pool, module: POOL_FIXTURE }) });
      const recovered: number[] = [];
      worker.on('recovered', ({ count }) => recovered.push(count));
      await worker.start();
      await until(async () => (await app!.broker.workers()).length === 2, 15_000);
      const files = [join(dir, 'first'), join(dir, 'second')];
      // NOTE: two of them, so that a worker holds one while its loop (main) or its member (threads, processes) is busy.
      const sent = await Promise.all(files.map((f) => app!.sendTask('pool.spin', [2_000, f])));
      await Promise.all(sent.map((r) => expect(r.get({ timeout: 15_000 })).resolves.toMatchObject({ pid: expect.any(Number) })));
      await new Promise((r) => setTimeout(r, 700));
      for (const f of files) expect(readFileSync(f, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
      expect(recovered).toEqual([]);
      expect(cli.output).not.toMatch(/gave back/);
      // NOTE: logged by whichever worker ran them (either may have fetched both).
      if (pool === 'main') expect([cli.output, ...logger.lines].join('\n')).toMatch(/Task pool\.spin\[.+\] blocked the worker's event loop for 2\d{3} ms/);
    },
    30_000,
  );

  test('1,000 CPU-bound tasks of ~20 ms on `celeriac worker -P processes -c 2` keep both children busy (CPU time)', async () => {
    const url = await target.freshUrl();
    app = register(createApp('pool-cpu', { broker: url, logger: captureLogger() }));
    cli = new CliProcess(['worker', '-A', 'pool-tasks.js', '-b', url, '-P', 'processes', '-c', '2', '-l', 'warn']);
    await until(async () => (await app!.broker.workers()).length === 1, 15_000);
    const t0 = Date.now();
    const results = await group(Array.from({ length: 1_000 }, () => app!.signature('pool.hash', [20]))).applyAsync();
    const out = (await results.get({ timeout: 90_000 })) as { pid: number; cpuMs: number; at: number }[];
    const wall = Math.max(...out.map((r) => r.at)) - t0;
    const byPid = new Map<number, { tasks: number; cpuMs: number }>();
    for (const r of out) {
      const e = byPid.get(r.pid) ?? { tasks: 0, cpuMs: 0 };
      byPid.set(r.pid, { tasks: e.tasks + 1, cpuMs: Math.max(e.cpuMs, r.cpuMs) });
    }
    const children = [...byPid.values()];
    const cpu = children.reduce((a, c) => a + c.cpuMs, 0);
    // NOTE: what was measured, for the report; the assertions below do not depend on how loaded the machine is.
    console.log(`1000 x 20 ms on -P processes -c 2: wall ${wall} ms, children CPU ${Math.round(cpu)} ms (${(cpu / wall).toFixed(2)} cores), per child ${children.map((c) => `${c.tasks} tasks / ${Math.round(c.cpuMs)} ms`).join(', ')}`);
    expect(byPid.size).toBe(2);
    for (const c of children) {
      expect(c.tasks).toBeGreaterThan(300);
      // NOTE: each child did at least a quarter of all the CPU work, and seconds of it: the work ran in both.
      expect(c.cpuMs).toBeGreaterThan(Math.max(2_000, cpu / 4));
    }
  }, 120_000);
});
