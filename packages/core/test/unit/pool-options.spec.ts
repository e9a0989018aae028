// Pool options and their errors, a pool loading a module that exports its app (no bootstrap hook), and the
// lag probe that names a task stalling the main pool after an await.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigurationError, createApp, type Celeriac, type Worker } from '../../src';
import { POOL_FIXTURE, captureLogger } from '../conformance/pool.conformance';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { assertBuilt, runCli } from '../support/cli';
import { readmeExample } from '../support/readme';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { register } = require(POOL_FIXTURE) as { register(app: Celeriac): Celeriac };
const CLI_APP = resolve(__dirname, '../fixtures/cli-app.js');

describe('worker pool options', () => {
  const apps: Celeriac[] = [];
  const workers: Worker[] = [];
  const makeApp = (logger = captureLogger()) => {
    const app = createApp(`pool-${randomUUID().slice(0, 8)}`, { broker: `memory://${randomUUID()}`, logger });
    apps.push(app);
    return app;
  };
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.close({ timeout: 500 })));
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });

  test('threads and processes need the module their members load', () => {
    const app = makeApp();
    expect(() => app.worker({ pool: 'threads' })).toThrow(
      new ConfigurationError("Worker pool 'threads' needs the module its threads load the tasks from: pass module: require.resolve('./tasks') (the CLI uses its -A module)"),
    );
    expect(() => app.worker({ pool: 'processes', module: '' })).toThrow(/Expected `module` to be a module path, got/);
  });

  test('a pool kind that does not exist, per-child limits on the main pool, and bad limits are refused', () => {
    const app = makeApp();
    expect(() => app.worker({ pool: 'prefork' as never })).toThrow(/Expected `pool` to be 'main', 'threads' or 'processes', got `"prefork"`/);
    expect(() => app.worker({ maxTasksPerChild: 10 })).toThrow("Worker option maxTasksPerChild applies to pool 'threads' or 'processes', not to the main pool (set pool too)");
    expect(() => app.worker({ pool: 'threads', module: POOL_FIXTURE, maxMemoryPerChild: 0 })).toThrow(/Expected `maxMemoryPerChild` to be an integer >= 1, got `0`/);
    expect(() => makeApp().configure({ workerPool: 'fork' as never })).toThrow(/Expected `workerPool` to be 'main', 'threads' or 'processes'/);
  });

  test.each(['threads', 'processes'] as const)('start() rejects, naming the module, when %s cannot load it', async (pool) => {
    const dir = mkdtempSync(join(tmpdir(), 'celeriac-pool-'));
    try {
      const broken = join(dir, 'broken.js');
      writeFileSync(broken, "throw new Error('tasks module exploded');\n");
      const missing = makeApp().worker({ pool, module: join(dir, 'nope.js'), concurrency: 1 });
      await expect(missing.start()).rejects.toThrow(/could not load the tasks' module .*nope\.js: Error: module .*nope\.js: no such file/);
      const failing = makeApp().worker({ pool, module: broken, concurrency: 2 });
      await expect(failing.start()).rejects.toThrow(/could not load the tasks' module .*broken\.js: Error: tasks module exploded/);
      const noApp = join(dir, 'no-app.js');
      writeFileSync(noApp, 'module.exports = { answer: 42 };\n');
      await expect(makeApp().worker({ pool, module: noApp }).start()).rejects.toThrow(/exports no app \(export it as `app` or as the default export, or a function celeriacChild\(\) that returns it\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a module that exports its app (no celeriacChild hook) is loaded as -A loads it; the banner names the pool', async () => {
    const app = makeApp();
    app.task('fixture.add', (a: number, b: number) => a + b);
    const w = app.worker({ pool: 'threads', module: CLI_APP, concurrency: 1 });
    workers.push(w);
    await w.start();
    expect(w.banner()).toContain('- concurrency: 1 (prefetch 4)\n- pool:        threads (size 1)\n');
    expect(makeApp().worker().banner()).not.toContain('- pool:');
    await expect((await app.sendTask('fixture.add', [20, 22])).get({ timeout: 5_000 })).resolves.toBe(42);
  });

  test('a task registered in the worker but not in the module its members load fails with NotRegistered', async () => {
    const app = makeApp();
    app.task('only.here', () => 'never');
    const w = app.worker({ pool: 'threads', module: CLI_APP, concurrency: 1 });
    workers.push(w);
    await w.start();
    await expect((await app.sendTask('only.here', [])).get({ timeout: 5_000 })).rejects.toThrow(/only\.here/);
  });

  test('main pool: a stall after an await is logged with the task that was running', async () => {
    const logger = captureLogger();
    const app = register(makeApp(logger));
    const w = app.worker({ logger });
    workers.push(w);
    await w.start();
    await expect((await app.sendTask('pool.spinLater', [1_500])).get({ timeout: 5_000 })).resolves.toBe('late');
    await new Promise((r) => setTimeout(r, 300));
    expect(logger.lines.filter((l) => l.includes('blocked'))).toEqual([
      expect.stringMatching(/^warn the worker's event loop was blocked for 1\d{3} ms while task\(s\) pool\.spinLater\[[-0-9a-f]+\] ran \(synchronous code after an await\); run CPU-bound tasks with pool 'threads' or 'processes'/),
    ]);
  });

  test("the README's pool example is examples/cpu-tasks.js, and it runs", async () => {
    assertBuilt();
    const file = resolve(__dirname, '../../examples/cpu-tasks.js');
    const { shown, actual } = readmeExample(resolve(__dirname, '../../../../README.md'), file);
    expect(shown).toBe(actual);
    const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: resolve(__dirname, '../../examples'), timeout: 30_000 });
    expect(stdout.trim()).toMatch(/^\[ '([0-9a-f]{12})', '\1', '\1', '\1' \]$/);
  });

  test('a member that runs out of memory fails only its task (WorkerLostError) and is replaced (threads, processes)', async () => {
    const fixture = resolve(__dirname, '../fixtures/pool-oom.js');
    // NOTE: run in a directory of its own: where core dumps are on, the aborted child leaves its core there.
    const cwd = mkdtempSync(join(tmpdir(), 'celeriac-oom-'));
    const { stdout } = await promisify(execFile)(process.execPath, [fixture], {
      cwd,
      env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=96' },
      timeout: 60_000,
    }).finally(() => rmSync(cwd, { recursive: true, force: true }));
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l) as { pool: string; status: string; result: { exc_type: string; exc_message: string[] }; next: number });
    expect(lines.map((l) => [l.pool, l.status, l.result.exc_type, l.next])).toEqual([
      ['threads', 'FAILURE', 'WorkerLostError', 3],
      ['processes', 'FAILURE', 'WorkerLostError', 3],
    ]);
    expect(lines[0]!.result.exc_message[0]).toMatch(/^Worker exited prematurely: pool thread \d+ ended \(Error: Worker terminated due to reaching memory limit: JS heap out of memory\)$/);
    expect(lines[1]!.result.exc_message[0]).toMatch(/^Worker exited prematurely: pool child \d+ ended \(signal SIGABRT\)$/);
  });

  test('celeriac worker: -P needs -A, and names the pools it knows', async () => {
    assertBuilt();
    const noModule = await runCli(['worker', '-b', 'redis://127.0.0.1:1/0', '-P', 'threads']);
    expect(noModule.code).not.toBe(0);
    expect(noModule.stderr).toContain('-P threads: give the tasks\' module with -A; each pool thread loads it');
    const unknown = await runCli(['worker', '-A', 'pool-tasks.js', '-b', 'redis://127.0.0.1:1/0', '-P', 'prefork']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/Expected `-P` to be 'main', 'threads' or 'processes', got `"prefork"`/);
  });
});
