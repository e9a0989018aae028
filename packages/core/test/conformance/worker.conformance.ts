// One behaviour suite for apps, workers and results, run on memory:// and on a real redis-server.
import {
  MaxRetriesExceededError,
  TaskError,
  TaskRevokedError,
  TimeoutError,
  signature,
  type ResultMeta,
} from '../../src';
import { appHarness, until, type Target } from './harness';

export type { Target } from './harness';

/** How far before the countdown's due time a task may start: the sender reads the clock a little after the test. */
const CLOCK_SLACK_MS = 5;

class NetworkError extends Error {
  override name = 'NetworkError';
}

export function describeWorkerConformance(label: string, target: Target): void {
  describe(`app + worker conformance (${label})`, () => {
    const { makeApp, startWorker } = appHarness(target, { concurrency: 4, shutdownTimeout: 2_000 });

    test('delay → worker → get() resolves the return value, states PENDING → STARTED → SUCCESS', async () => {
      const app = await makeApp();
      const add = app.task('t.add', async (a: number, b: number) => a + b);
      const res = await add.delay(2, 3);
      expect(res.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(await res.state()).toBe('PENDING');
      const seen: string[] = [];
      await res.subscribe((m: ResultMeta) => seen.push(m.status));
      await startWorker(app);
      await expect(res.get({ timeout: 5_000 })).resolves.toBe(5);
      expect(await res.state()).toBe('SUCCESS');
      expect(await res.ready()).toBe(true);
      expect(await res.successful()).toBe(true);
      await until(() => seen.includes('SUCCESS'));
      expect(seen).toEqual(['STARTED', 'SUCCESS']);
      const meta = await res.meta();
      expect(meta).toMatchObject({ status: 'SUCCESS', result: 5, task_id: res.id, traceback: null, children: [] });
      expect(meta!.date_done).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    });

    test('a result listener that throws is reported as a process warning; the task, the store and other listeners go on', async () => {
      const app = await makeApp();
      const add = app.task('t.add.listened', async (a: number, b: number) => a + b);
      const res = await add.delay(1, 2);
      // NOTE: a spy, because jest's sandboxed `process` does not receive 'warning' events.
      const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        await res.subscribe(() => {
          throw new Error('listener bug');
        });
        const seen: string[] = [];
        await res.subscribe((m) => seen.push(m.status));
        await startWorker(app);
        await expect(res.get({ timeout: 5_000 })).resolves.toBe(3);
        await until(() => seen.includes('SUCCESS'));
        const [message, options] = emitWarning.mock.calls[0]! as [string, { code: string }];
        expect(message).toContain(`A result listener of task ${res.id} threw: Error: listener bug`);
        expect(options.code).toBe('CELERIAC_LISTENER_ERROR');
      } finally {
        emitWarning.mockRestore();
      }
    });

    test('taskTrackStarted: false stores no STARTED (the last bit of throughput), only the outcome', async () => {
      const app = await makeApp({ taskTrackStarted: false });
      const add = app.task('t.add.quiet', async (a: number, b: number) => a + b);
      const res = await add.delay(1, 2);
      const seen: string[] = [];
      await res.subscribe((m: ResultMeta) => seen.push(m.status));
      await startWorker(app);
      await expect(res.get({ timeout: 5_000 })).resolves.toBe(3);
      await until(() => seen.includes('SUCCESS'));
      expect(seen).toEqual(['SUCCESS']);
    });

    test('calling a task runs it inline, without a broker', async () => {
      const app = await makeApp();
      const mul = app.task('t.mul', (a: number, b: number) => a * b);
      await expect(mul(6, 7)).resolves.toBe(42);
      expect(await app.broker.queueLength('celery')).toBe(0);
    });

    test('a failing task is stored as FAILURE; get() rejects with its type and message', async () => {
      const app = await makeApp();
      const boom = app.task('t.boom', async () => {
        throw new TypeError('bad input');
      });
      const res = await boom.delay();
      await startWorker(app);
      const err = (await res.get({ timeout: 5_000 }).catch((e: unknown) => e)) as TaskError;
      expect(err).toBeInstanceOf(TaskError);
      expect(err.excType).toBe('TypeError');
      expect(err.excModule).toBe('builtins');
      expect(err.message).toContain('bad input');
      expect(err.remoteTraceback).toContain('bad input');
      expect(await res.failed()).toBe(true);
      await expect(res.get({ propagate: false })).resolves.toMatchObject({ exc_type: 'TypeError', exc_message: ['bad input'] });
    });

    test('ctx.retry() stores RETRY and runs again after the countdown', async () => {
      const app = await makeApp();
      let calls = 0;
      const flaky = app.task(
        't.flaky',
        async (ctx, word: string) => {
          calls++;
          if (ctx.retries < 2) ctx.retry({ countdown: 50, exc: new Error(`try ${ctx.retries}`) });
          return `${word}:${ctx.retries}`;
        },
        { bind: true },
      );
      const res = await flaky.delay('ok');
      const seen: string[] = [];
      await res.subscribe((m) => seen.push(m.status));
      await startWorker(app);
      await expect(res.get({ timeout: 5_000 })).resolves.toBe('ok:2');
      expect(calls).toBe(3);
      await until(() => seen.includes('SUCCESS'));
      expect(seen.filter((s) => s === 'RETRY')).toHaveLength(2);
      expect((await res.meta())!.parent_id).toBe(res.id);
    });

    test('ctx.retry() beyond maxRetries fails with MaxRetriesExceededError', async () => {
      const app = await makeApp();
      const never = app.task('t.never', async (ctx) => ctx.retry({ countdown: 10 }), { bind: true, maxRetries: 1 });
      const res = await never.delay();
      await startWorker(app);
      const err = (await res.get({ timeout: 5_000 }).catch((e: unknown) => e)) as TaskError;
      expect(err.excType).toBe(new MaxRetriesExceededError('a', 'b', 1).name);
    });

    test('autoretryFor retries matching errors with backoff, others fail at once', async () => {
      const app = await makeApp();
      let n = 0;
      const send = app.task(
        't.send',
        async () => {
          if (++n < 3) throw new NetworkError('smtp down');
          return 'sent';
        },
        { autoretryFor: [NetworkError], retryBackoff: 20, maxRetries: 5 },
      );
      let m = 0;
      const other = app.task(
        't.other',
        async () => {
          m++;
          throw new RangeError('no');
        },
        { autoretryFor: [NetworkError], retryBackoff: 20 },
      );
      const [a, b] = [await send.delay(), await other.delay()];
      await startWorker(app);
      await expect(a.get({ timeout: 5_000 })).resolves.toBe('sent');
      await expect(b.get({ timeout: 5_000 })).rejects.toMatchObject({ excType: 'ValueError' });
      expect(n).toBe(3);
      expect(m).toBe(1);
    });

    test('a task over its time limit fails with TimeLimitExceeded, its signal fires and its slot is freed', async () => {
      const app = await makeApp();
      let aborted = false;
      const hang = app.task(
        't.hang',
        (ctx) =>
          new Promise<never>(() => {
            ctx.signal.addEventListener('abort', () => (aborted = true));
          }),
        { bind: true, timeLimit: 100 },
      );
      const quick = app.task('t.quick', () => 'done');
      const h = await hang.delay();
      const q = await quick.delay();
      await startWorker(app, { concurrency: 1 });
      await expect(h.get({ timeout: 5_000 })).rejects.toMatchObject({ excType: 'TimeLimitExceeded' });
      await expect(q.get({ timeout: 5_000 })).resolves.toBe('done');
      expect(aborted).toBe(true);
    });

    test('countdown runs when due, not before, and does not block other work', async () => {
      const app = await makeApp();
      const ran = new Map<string, number>();
      const mark = app.task('t.mark', (tag: string) => void ran.set(tag, Date.now()));
      const sent = Date.now();
      const later = await mark.applyAsync(['later'], { countdown: 1_500 });
      const now = await mark.delay('now');
      await startWorker(app, { concurrency: 1 });
      await now.get({ timeout: 5_000 });
      expect(ran.has('later')).toBe(false);
      await later.get({ timeout: 5_000 });
      expect(ran.get('later')! - sent).toBeGreaterThanOrEqual(1_500);
      expect(ran.get('now')!).toBeLessThan(ran.get('later')!);
    });

    test('eta (a Date) and short countdowns are honoured', async () => {
      const app = await makeApp();
      const t = app.task('t.when', () => Date.now());
      const eta = new Date(Date.now() + 300);
      const r1 = await t.applyAsync([], { eta });
      const sent = Date.now();
      const r2 = await t.applyAsync([], { countdown: 200 });
      await startWorker(app);
      expect(await r1.get({ timeout: 5_000 })).toBeGreaterThanOrEqual(eta.getTime());
      // NOTE: a little slack: the countdown becomes an eta at send time, a few ms after `sent` was read (never before).
      expect(await r2.get({ timeout: 5_000 })).toBeGreaterThanOrEqual(sent + 200 - CLOCK_SLACK_MS);
    });

    test('an expired task is not run and is stored as REVOKED (expired)', async () => {
      const app = await makeApp();
      let ran = false;
      const t = app.task('t.exp', () => void (ran = true));
      const res = await t.applyAsync([], { expires: 1 });
      await new Promise((r) => setTimeout(r, 20));
      await startWorker(app);
      const err = await res.get({ timeout: 5_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TaskRevokedError);
      expect((err as TaskRevokedError).message).toContain('expired');
      expect(ran).toBe(false);
    });

    test('a task revoked before it starts never runs: in the queue, and waiting for its countdown', async () => {
      const app = await makeApp();
      let runs = 0;
      const t = app.task('t.rev', () => void runs++);
      const queued = await t.delay();
      const delayed = await t.applyAsync([], { countdown: 1_200 });
      await queued.revoke();
      const w = await startWorker(app);
      await expect(queued.get({ timeout: 5_000 })).rejects.toBeInstanceOf(TaskRevokedError);
      await delayed.revoke();
      await expect(delayed.get({ timeout: 5_000 })).rejects.toBeInstanceOf(TaskRevokedError);
      expect(runs).toBe(0);
      // a new worker started later still knows (revocations live in the broker, not in a worker's memory)
      const again = await t.applyAsync([], { taskId: queued.id });
      await w.close();
      await startWorker(app);
      await expect(again.get({ timeout: 5_000 })).rejects.toBeInstanceOf(TaskRevokedError);
      expect(runs).toBe(0);
    });

    test('a worker started after a revoke keeps it only until the expiry it was stored with', async () => {
      const app = await makeApp({ workerRevokeExpires: 1_000 });
      const t0 = Date.now();
      await app.revoke('revoked-early');
      await new Promise((r) => setTimeout(r, 500));
      const w = await startWorker(app);
      expect(w.isRevoked('revoked-early')).toBe(Date.now() < t0 + 1_000);
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + 1_200 - Date.now())));
      // A restart does not extend it: stored until t0 + 1 000, not until the worker's start + 1 000.
      expect(w.isRevoked('revoked-early')).toBe(false);
    });

    test('revoke({ terminate: true }) aborts a running task and stores REVOKED', async () => {
      const app = await makeApp();
      let started = false;
      const slow = app.task(
        't.slow',
        (ctx) =>
          new Promise((_, reject) => {
            started = true;
            ctx.signal.addEventListener('abort', () => reject(new Error('aborted')));
          }),
        { bind: true },
      );
      const res = await slow.delay();
      await startWorker(app);
      await until(() => started);
      await res.revoke({ terminate: true });
      await expect(res.get({ timeout: 5_000 })).rejects.toBeInstanceOf(TaskRevokedError);
    });

    test('updateState stores progress that info() reads; forget() deletes the result', async () => {
      const app = await makeApp();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const job = app.task(
        't.progress',
        async (ctx) => {
          await ctx.updateState({ state: 'PROGRESS', meta: { current: 1, total: 2 } });
          await gate;
          return 'finished';
        },
        { bind: true },
      );
      const res = await job.delay();
      await startWorker(app);
      await until(async () => (await res.state()) === 'PROGRESS');
      expect(await res.info()).toEqual({ current: 1, total: 2 });
      expect(await res.ready()).toBe(false);
      release();
      await expect(res.get({ timeout: 5_000 })).resolves.toBe('finished');
      await res.forget();
      expect(await res.meta()).toBeNull();
      expect(await res.state()).toBe('PENDING');
    });

    test('get() with a timeout rejects with TimeoutError when no worker runs', async () => {
      const app = await makeApp();
      const t = app.task('t.nobody', () => 1);
      const res = await t.delay();
      const t0 = Date.now();
      await expect(res.get({ timeout: 200 })).rejects.toBeInstanceOf(TimeoutError);
      expect(Date.now() - t0).toBeLessThan(2_000);
    });

    test('ignoreResult stores nothing', async () => {
      const app = await makeApp();
      const done: string[] = [];
      const t = app.task('t.quiet', (x: string) => void done.push(x), { ignoreResult: true });
      const res = await t.delay('a');
      const completed: string[] = [];
      // NOTE: 'completed' comes after the result would have been stored and the message acked: no sleep needed.
      await startWorker(app, {}, (w) => w.on('completed', (e) => completed.push(e.taskId)));
      await until(() => completed.length === 1);
      expect(completed).toEqual([res.id]);
      expect(done).toEqual(['a']);
      expect(await res.meta()).toBeNull();
    });

    test('routing: per call, per task, taskRoutes patterns, then the default queue', async () => {
      const app = await makeApp({ taskRoutes: { 'mail.*': 'mail', 'img.resize': { queue: 'images' } } });
      const a = app.task('mail.send', () => 'a');
      const b = app.task('img.resize', () => 'b');
      const c = app.task('misc.x', () => 'c', { queue: 'special' });
      const d = app.task('misc.y', () => 'd');
      await a.delay();
      await b.delay();
      await c.delay();
      await d.delay();
      await a.applyAsync([], { queue: 'other' });
      for (const [q, n] of [['mail', 1], ['images', 1], ['special', 1], ['celery', 1], ['other', 1]] as const) {
        expect(await app.broker.queueLength(q)).toBe(n);
      }
      await startWorker(app, { queues: ['mail', 'images', 'special', 'celery', 'other'] });
      await until(async () => (await app.broker.queueLength('mail')) + (await app.broker.queueLength('other')) === 0);
    });

    const highFirst = target.priority === 'high-first';
    test(`priority: on one queue a ${highFirst ? 'higher' : 'lower'} number is served first`, async () => {
      const app = await makeApp();
      const order: number[] = [];
      const t = app.task('t.prio', (p: number) => void order.push(p));
      const results = [];
      for (const p of [9, 6, 0, 3]) results.push(await t.applyAsync([p], { priority: p }));
      await startWorker(app, { concurrency: 1, prefetchMultiplier: 1 });
      await Promise.all(results.map((r) => r.get({ timeout: 5_000 })));
      expect(order).toEqual(highFirst ? [9, 6, 3, 0] : [0, 3, 6, 9]);
    });

    test('link and linkError send follow-up tasks with the result / the failed task id', async () => {
      const app = await makeApp();
      const got: unknown[] = [];
      const add = app.task('t.add2', (a: number, b: number) => a + b);
      const fail = app.task('t.fail2', () => {
        throw new Error('x');
      });
      app.task('t.collect', (v: unknown, tag: string) => void got.push([tag, v]));
      const r1 = await add.applyAsync([1, 2], { link: signature('t.collect', ['ok']) });
      const r2 = await fail.applyAsync([], { linkError: signature('t.collect', ['err']) });
      await startWorker(app);
      expect(await r1.get({ timeout: 5_000 })).toBe(3);
      await expect(r2.get({ timeout: 5_000 })).rejects.toBeInstanceOf(TaskError);
      await until(() => got.length === 2);
      expect(got).toContainEqual(['ok', 3]);
      expect(got).toContainEqual(['err', r2.id]);
    });

    test('an unknown task name goes to the dead-letter list and the worker goes on', async () => {
      const app = await makeApp();
      const t = app.task('t.known', () => 'fine');
      await app.sendTask('t.nobody.knows', [1]);
      const ok = await t.delay();
      const dead: { reason: string; queue: string }[] = [];
      await startWorker(app, {}, (w) => w.on('deadLettered', (d) => dead.push(d)));
      await expect(ok.get({ timeout: 5_000 })).resolves.toBe('fine');
      await until(() => dead.length === 1);
      const letters = await app.broker.deadLetters();
      expect(letters).toHaveLength(1);
      const [letter] = letters;
      expect(letter!.reason).toContain('t.nobody.knows');
      expect(letter!.raw).toContain('t.nobody.knows');
      expect(letter!.queue).toBe('celery');
      expect(dead).toEqual([{ reason: letter!.reason, queue: 'celery' }]);
    });

    test('warm close lets running tasks finish and gives prefetched ones back', async () => {
      const app = await makeApp();
      const done: number[] = [];
      const t = app.task('t.sleep', async (i: number) => {
        await new Promise((r) => setTimeout(r, 150));
        done.push(i);
      });
      for (let i = 0; i < 6; i++) await t.delay(i);
      const w = await startWorker(app, { concurrency: 2, prefetchMultiplier: 3 });
      await until(() => w.running === 2);
      await w.close();
      expect(done).toHaveLength(2);
      expect(await app.broker.queueLength('celery')).toBe(4);
      await startWorker(app, { concurrency: 4 });
      await until(() => done.length === 6);
      expect([...done].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    });

    test('cold close (timeout 0) aborts running tasks and gives them back', async () => {
      const app = await makeApp();
      let runs = 0;
      const t = app.task(
        't.stuck',
        (ctx) =>
          new Promise<string>((resolve) => {
            runs++;
            if (runs > 1) return resolve('second run');
            ctx.signal.addEventListener('abort', () => undefined);
          }),
        { bind: true },
      );
      const res = await t.delay();
      const w = await startWorker(app);
      await until(() => runs === 1);
      await w.close({ timeout: 0 });
      expect(await app.broker.queueLength('celery')).toBe(1);
      await startWorker(app);
      await expect(res.get({ timeout: 5_000 })).resolves.toBe('second run');
    });

    test('a worker that stops beating (frozen or killed) has its held task run by another worker', async () => {
      const app = await makeApp();
      let runs = 0;
      let release!: () => void;
      const blocked = new Promise<void>((r) => (release = r));
      const held = app.task('t.held', async () => {
        runs++;
        if (runs === 1) await blocked;
        return 'done';
      });
      const beat = { heartbeatInterval: 50, heartbeatTimeout: 400 };
      // NOTE: without its heartbeat thread, which would keep a worker with a blocked event loop alive (on purpose).
      const frozen = await startWorker(app, beat, (w) => (w.consumer.livenessTarget = () => null));
      const res = await held.delay();
      await until(() => runs === 1);
      // NOTE: a worker whose heartbeats stop, as one whose process is SIGKILLed.
      if (target.sever) await target.sever(frozen);
      else frozen.consumer.heartbeat = async () => ({ recovered: 0, promoted: 0, nextDue: null });
      const rescuer = await startWorker(app, beat);
      await expect(res.get({ timeout: 5_000 })).resolves.toBe('done');
      expect(runs).toBe(2);
      release();
      await rescuer.onIdle();
    });

    test('workers announce themselves; a closed worker is gone from the list', async () => {
      const app = await makeApp();
      const w = await startWorker(app, { hostname: 'celeriac@test-node', queues: ['a', 'b'] });
      const [info] = await app.broker.workers();
      expect(info).toMatchObject({ hostname: 'celeriac@test-node', queues: ['a', 'b'], concurrency: 4, pid: process.pid });
      await w.close();
      expect(await app.broker.workers()).toHaveLength(0);
    });

    test('eager mode runs at .delay() and stores the result', async () => {
      const app = await makeApp({ taskAlwaysEager: true });
      const t = app.task('t.eager', (x: number) => x * 2);
      const res = await t.delay(21);
      expect(await res.get({ timeout: 1_000 })).toBe(42);
      expect(await app.broker.queueLength('celery')).toBe(0);
    });
  });
}
