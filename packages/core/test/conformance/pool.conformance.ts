// Worker pools (main, threads, processes) on memory:// and on a real redis-server: a CPU-bound task is run once
// even with two workers; time limits, crashes and recycling of pool members; what crosses the boundary.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Celeriac, Logger, Worker, WorkerOptions } from '../../src';
import { appHarness, until, type Target } from './harness';

export const POOL_FIXTURE = resolve(__dirname, '../fixtures/pool-tasks.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { register } = require(POOL_FIXTURE) as { register(app: Celeriac): Celeriac };

/** A logger that keeps what it is told, for assertions on warnings. */
export function captureLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { lines, debug: () => undefined, info: keep('info'), warn: keep('warn'), error: keep('error') };
}

type Where = { pid: number; threadId: number };
const key = (w: Where) => `${w.pid}:${w.threadId}`;

/** Heartbeats fast enough that a task blocking its loop for 1.5 s would be taken for dead three times over. */
const FAST_BEATS = { heartbeatInterval: 100, heartbeatTimeout: 500 } satisfies WorkerOptions;

export function describePoolConformance(label: string, target: Target, options: { heartbeatThread: boolean }): void {
  describe(`worker pools (${label})`, () => {
    const { makeApp, startWorker } = appHarness(target, { shutdownTimeout: 2_000 });
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'celeriac-pool-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const runs = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);

    async function poolApp(config: Parameters<typeof makeApp>[0] = {}): Promise<Celeriac> {
      return register(await makeApp(config));
    }

    const pooled = (pool: 'threads' | 'processes', more: WorkerOptions = {}): WorkerOptions => ({ pool, module: POOL_FIXTURE, ...more });

    test.each(['main', 'threads', 'processes'] as const)('a synchronous 1.5 s task with two workers runs exactly once (pool %s)', async (pool) => {
      const logger = captureLogger();
      const app = await poolApp({ logger });
      const opts: WorkerOptions = { ...FAST_BEATS, concurrency: 1, logger, ...(pool === 'main' ? {} : pooled(pool)) };
      const recovered: number[] = [];
      const listen = (w: Worker) => w.on('recovered', ({ count }) => recovered.push(count));
      await startWorker(app, opts, listen);
      await startWorker(app, opts, listen);
      const file = join(dir, 'runs');
      const res = await app.sendTask('pool.spin', [1_500, file]);
      await expect(res.get({ timeout: 10_000 })).resolves.toMatchObject({ pid: expect.any(Number) });
      // NOTE: a second run would start within a heartbeat or two of the first one's end.
      await new Promise((r) => setTimeout(r, 600));
      expect(runs(file)).toHaveLength(1);
      expect(recovered).toEqual([]);
      if (pool === 'main') {
        expect(logger.lines.find((l) => l.includes('pool.spin') && l.includes('blocked the worker'))).toMatch(/^warn Task pool\.spin\[[-0-9a-f]+\] blocked the worker's event loop for 1\d{3} ms .*-P threads\|processes/);
      } else {
        expect(logger.lines.filter((l) => l.includes('blocked'))).toEqual([]);
      }
    });

    test('after the event loop was blocked, a worker in the same process does not take the blocked one for dead', async () => {
      const app = await poolApp();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      app.task('t.held', async () => {
        await gate;
        return 'held';
      });
      const a = await startWorker(app, FAST_BEATS);
      const res = await app.sendTask('t.held', []);
      await until(() => a.running === 1);
      const b = await startWorker(app, FAST_BEATS);
      // NOTE: b has beaten without a gap for a whole timeout: it may recover the messages of dead workers.
      await new Promise((r) => setTimeout(r, 2 * FAST_BEATS.heartbeatTimeout));
      const end = Date.now() + 1_200;
      while (Date.now() < end) {
        // spin: the shared event loop is held, as by a synchronous task of a's
      }
      expect(await b.consumer.heartbeat(b.info())).toMatchObject({ recovered: 0 });
      release();
      await expect(res.get({ timeout: 5_000 })).resolves.toBe('held');
    });

    // NOTE: brokers reached from other processes only (memory:// lives in one process, which a blocked loop holds whole).
    if (options.heartbeatThread) test('the heartbeat thread keeps a worker whose event loop is blocked alive in the broker', async () => {
      const app = await poolApp();
      const w = await startWorker(app, FAST_BEATS);
      await until(async () => (await app.broker.workers()).length === 1);
      // NOTE: the loop is held here, as by a synchronous task: only the thread can beat meanwhile.
      const end = Date.now() + 1_200;
      while (Date.now() < end) {
        // spin
      }
      const seen = await app.broker.workers();
      expect(seen.map((i) => i.id)).toEqual([w.id]);
      expect(end - seen[0]!.lastSeen!).toBeLessThan(FAST_BEATS.heartbeatTimeout);
    });

    test('main pool: a synchronous task past its timeLimit keeps its result and is reported with the pool to use', async () => {
      const logger = captureLogger();
      const app = await poolApp({ logger });
      await startWorker(app, { logger });
      const res = await app.sendTask('pool.spin', [300], { timeLimit: 100 });
      await expect(res.get({ timeout: 5_000 })).resolves.toMatchObject({ pid: process.pid });
      expect(logger.lines.find((l) => l.includes('past its timeLimit'))).toMatch(
        /^warn Task pool\.spin\[.+\] ran (29\d|[3-9]\d\d) ms of synchronous code, past its timeLimit of 100 ms, .*pool 'threads' or 'processes'/,
      );
    });

    test.each(['main', 'threads', 'processes'] as const)('a softTimeLimit fires the AbortSignal and lets the task clean up (pool %s)', async (pool) => {
      const app = await poolApp();
      await startWorker(app, { concurrency: 1, ...(pool === 'main' ? {} : pooled(pool)) });
      const file = join(dir, 'cleanup');
      const res = await app.sendTask('pool.cleanup', [150, file], { softTimeLimit: 200, timeLimit: 5_000 });
      await expect(res.get({ timeout: 5_000 })).resolves.toBe('cleaned up');
      expect(runs(file)).toEqual(['cleaned up: SoftTimeLimitExceeded']);
    });

    describe.each(['threads', 'processes'] as const)('pool %s', (pool) => {
      test('arguments, results, failures, progress and retries cross the boundary; the broker stays in the worker', async () => {
        const app = await poolApp();
        await startWorker(app, pooled(pool, { concurrency: 2 }));
        await expect((await app.sendTask('pool.add', [2, 3])).get({ timeout: 5_000 })).resolves.toBe(5);
        const where = (await (await app.sendTask('pool.where', [])).get({ timeout: 5_000 })) as Where;
        if (pool === 'processes') expect(where.pid).not.toBe(process.pid);
        else expect(where).toEqual({ pid: process.pid, threadId: expect.any(Number) });
        if (pool === 'threads') expect(where.threadId).not.toBe(0);

        const failed = await app.sendTask('pool.fail', []);
        await expect(failed.get({ timeout: 5_000 })).rejects.toThrow('bad input from the pool');
        expect(await failed.meta()).toMatchObject({ status: 'FAILURE', result: { exc_type: 'TypeError', exc_module: 'builtins' } });

        const progress = await app.sendTask('pool.progress', [3]);
        const seen: unknown[] = [];
        await progress.subscribe((m) => void (m.status === 'PROGRESS' && seen.push(m.result)));
        await expect(progress.get({ timeout: 5_000 })).resolves.toBe('reported');
        await until(() => seen.length === 3);
        expect(seen).toEqual([{ done: 1, of: 3 }, { done: 2, of: 3 }, { done: 3, of: 3 }]);

        await expect((await app.sendTask('pool.flaky', [])).get({ timeout: 5_000 })).resolves.toBe('ok after 1');

        // NOTE: as on the main pool, a result JSON cannot carry is stored as Celery's EncodeError.
        const bad = await app.sendTask('pool.badResult', []);
        await expect(bad.get({ timeout: 5_000 })).rejects.toThrow('result.format is a function');
        expect(await bad.meta()).toMatchObject({ status: 'FAILURE', result: { exc_type: 'EncodeError', exc_module: 'kombu.exceptions' } });
      });

      test('a hard timeLimit ends the task (FAILURE TimeLimitExceeded) and its member, which is replaced', async () => {
        const logger = captureLogger();
        const app = await poolApp({ logger });
        await startWorker(app, pooled(pool, { concurrency: 1, logger }));
        const before = (await (await app.sendTask('pool.where', [])).get({ timeout: 5_000 })) as Where;
        const t0 = Date.now();
        const res = await app.sendTask('pool.spin', [30_000], { timeLimit: 300 });
        await expect(res.get({ timeout: 5_000 })).rejects.toThrow('Task exceeded its time limit of 300 ms');
        expect(Date.now() - t0).toBeLessThan(3_000);
        expect(await res.meta()).toMatchObject({ status: 'FAILURE', result: { exc_type: 'TimeLimitExceeded', exc_module: 'celery.exceptions' } });
        const after = (await (await app.sendTask('pool.where', [])).get({ timeout: 10_000 })) as Where;
        expect(key(after)).not.toBe(key(before));
        expect(logger.lines.find((l) => l.includes('time limit of 300 ms'))).toMatch(/^warn Task pool\.spin\[.+\]: ending its pool/);
      });

      test('a revoke with terminate fires the AbortSignal in its member; the task is REVOKED, the member replaced', async () => {
        const app = await poolApp();
        await startWorker(app, pooled(pool, { concurrency: 1 }));
        const before = (await (await app.sendTask('pool.where', [])).get({ timeout: 5_000 })) as Where;
        const res = await app.sendTask('pool.cleanup', [0, join(dir, 'cleanup')]);
        await until(async () => (await res.state()) === 'STARTED');
        await app.revoke(res.id, { terminate: true });
        await expect(res.get({ timeout: 5_000 })).rejects.toThrow(/terminated/);
        expect(await res.state()).toBe('REVOKED');
        const after = (await (await app.sendTask('pool.where', [])).get({ timeout: 10_000 })) as Where;
        expect(key(after)).not.toBe(key(before));
      });

      test('a member that calls process.exit(1) fails only its own task (WorkerLostError) and is replaced', async () => {
        const logger = captureLogger();
        const app = await poolApp({ logger });
        await startWorker(app, pooled(pool, { concurrency: 2, logger }));
        const slow = await app.sendTask('pool.spin', [400]);
        const dead = await app.sendTask('pool.exit', []);
        await expect(dead.get({ timeout: 5_000 })).rejects.toThrow(/Worker exited prematurely/);
        expect(await dead.meta()).toMatchObject({ status: 'FAILURE', result: { exc_type: 'WorkerLostError' } });
        await expect(slow.get({ timeout: 5_000 })).resolves.toMatchObject({ pid: expect.any(Number) });
        const later = await Promise.all([1, 2, 3, 4].map((i) => app.sendTask('pool.add', [i, i])));
        await expect(Promise.all(later.map((r) => r.get({ timeout: 10_000 })))).resolves.toEqual([2, 4, 6, 8]);
        expect(logger.lines.find((l) => l.includes('died'))).toMatch(/^error pool (thread|child) \d+ died \(exit code 1\) while running task pool\.exit/);
      });

      test('with rejectOnWorkerLost a task whose member died goes back to its queue and runs again', async () => {
        const app = await poolApp();
        await startWorker(app, pooled(pool, { concurrency: 1 }));
        const res = await app.sendTask('pool.exitOnce', [join(dir, 'marker')]);
        await expect(res.get({ timeout: 10_000 })).resolves.toBe('second run');
      });

      test('a cold shutdown gives a running task back to its queue; its member is ended', async () => {
        const app = await poolApp();
        const w = await startWorker(app, pooled(pool, { concurrency: 1 }));
        const res = await app.sendTask('pool.spin', [30_000]);
        await until(async () => (await res.state()) === 'STARTED');
        const t0 = Date.now();
        await w.close({ timeout: 0 });
        expect(Date.now() - t0).toBeLessThan(5_000);
        expect(await app.broker.queueLength('celery')).toBe(1);
      });

      test('maxTasksPerChild: 10 replaces members after ten tasks each (counted by pid/thread)', async () => {
        const app = await poolApp();
        await startWorker(app, pooled(pool, { concurrency: 2, maxTasksPerChild: 10 }));
        const results = await Promise.all(Array.from({ length: 40 }, () => app.sendTask('pool.where', [])));
        const seen = (await Promise.all(results.map((r) => r.get({ timeout: 20_000 })))) as Where[];
        const counts = new Map<string, number>();
        for (const w of seen) counts.set(key(w), (counts.get(key(w)) ?? 0) + 1);
        expect(counts.size).toBe(4);
        expect([...counts.values()]).toEqual([10, 10, 10, 10]);
      });

      test('maxMemoryPerChild replaces a member that grew, between tasks', async () => {
        const app = await poolApp();
        // NOTE: a fresh member is well under 60 MiB (a thread's heap, a child's RSS); one that kept 80 MiB is over.
        await startWorker(app, pooled(pool, { concurrency: 1, maxMemoryPerChild: pool === 'threads' ? 40 * 1024 : 120 * 1024 }));
        const first = (await (await app.sendTask('pool.where', [])).get({ timeout: 5_000 })) as Where;
        const grew = (await (await app.sendTask('pool.grow', [80])).get({ timeout: 5_000 })) as Where;
        expect(key(grew)).toBe(key(first));
        const next = (await (await app.sendTask('pool.where', [])).get({ timeout: 10_000 })) as Where;
        expect(key(next)).not.toBe(key(first));
      });
    });
  });
}
