// Outcomes that used to leave a task STARTED forever (issue 7 §2), run on memory:// and on a real redis-server:
// a result JSON cannot carry, a bad custom-state meta, a retry's odd `exc`, a follow-up that cannot be sent,
// a task no worker knows, malformed callbacks. Each must end in a stored state and an acked message.
import { randomUUID } from 'node:crypto';
import {
  SerializationError,
  TaskError,
  signature,
  type TaskContext,
} from '../../src';
import { encodeMessage, completeMessage } from '../../src/protocol/message';
import { appHarness, until, type Target } from './harness';
import { rejectionOf } from '../support/rejection';

export type { Target } from './harness';

const taskError = (p: Promise<unknown>): Promise<TaskError> => rejectionOf(p, TaskError);

const deep = (levels: number): unknown => {
  let v: unknown = 'bottom';
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

const cycle = (): unknown => {
  const o: Record<string, unknown> = { name: 'loop' };
  o.self = o;
  return o;
};

export function describeSettlingConformance(label: string, target: Target): void {
  describe(`every outcome settles (${label})`, () => {
    const { makeApp, startWorker } = appHarness(target, { concurrency: 2, shutdownTimeout: 2_000 });

    test('a task returning 10n is FAILURE with kombu EncodeError, its message acked, and the next task runs', async () => {
      const app = await makeApp();
      const big = app.task('s.bigint', () => 10n as unknown as number);
      const add = app.task('s.add', (a: number, b: number) => a + b);
      await startWorker(app);
      const res = await big.delay();
      const err = await taskError(res.get({ timeout: 5_000 }));
      expect(err.excType).toBe('EncodeError');
      expect(err.excModule).toBe('kombu.exceptions');
      expect(String(err.excMessage)).toContain('"s.bigint"');
      expect(String(err.excMessage)).toContain('result is a BigInt');
      expect(await res.state()).toBe('FAILURE');
      await expect((await add.delay(2, 3)).get({ timeout: 5_000 })).resolves.toBe(5);
      expect(await app.broker.queueLength('celery')).toBe(0);
    });

    test.each<[string, () => unknown, string]>([
      ['a cycle', cycle, 'result.self is a circular reference'],
      ['5,000-deep nesting', () => deep(5_000), 'nested deeper than 500 levels'],
      ['a Set deep inside', () => ({ items: [1, 2, { tags: new Set(['a']) }] }), 'result.items[2].tags is a Set'],
      ['a Map', () => new Map([['a', 1]]), 'result is a Map'],
      ['a function', () => ({ cb: () => 1 }), 'result.cb is a function'],
      ['a symbol in an array', () => [Symbol('s')], 'result[0] is a symbol'],
      ['NaN', () => ({ ratio: NaN }), 'result.ratio is NaN'],
      ['an Error', () => ({ ok: false, error: new Error('x') }), 'result.error is an Error'],
    ])('a result holding %s is FAILURE naming the path, not a silent SUCCESS', async (_what, make, says) => {
      const app = await makeApp();
      const t = app.task('s.odd', () => make() as number);
      await startWorker(app);
      const err = await taskError((await t.delay()).get({ timeout: 5_000 }));
      expect(err.excType).toBe('EncodeError');
      expect(String(err.excMessage)).toContain(says);
    });

    test('2 × concurrency × prefetch unstorable results do not stop the worker fetching', async () => {
      const app = await makeApp();
      const big = app.task('s.bigint.many', () => 10n as unknown as number);
      const add = app.task('s.add.after', (a: number, b: number) => a + b);
      await startWorker(app, { concurrency: 1, prefetchMultiplier: 1 });
      const bad = await Promise.all(Array.from({ length: 6 }, () => big.delay()));
      const good = await add.delay(1, 1);
      await expect(good.get({ timeout: 10_000 })).resolves.toBe(2);
      for (const r of bad) expect(await r.state()).toBe('FAILURE');
    });

    test('ignoreResult: an unstorable result is not stored, and does not fail the task', async () => {
      const app = await makeApp();
      const big = app.task('s.bigint.ignored', () => 10n as unknown as number, { ignoreResult: true });
      const w = await startWorker(app);
      const completed: string[] = [];
      w.on('completed', (e) => completed.push(e.taskId));
      const res = await big.delay();
      await until(() => completed.includes(res.id));
      expect(await res.state()).toBe('PENDING');
    });

    test('ctx.updateState with a meta JSON cannot carry rejects, so the task can catch it', async () => {
      const app = await makeApp();
      const t = app.task(
        's.progress',
        async (ctx: TaskContext) => {
          const e = await ctx.updateState({ state: 'PROGRESS', meta: { done: 10n } }).then(
            () => null,
            (err: Error) => err,
          );
          return e ? `${e.name}: ${e.message}` : 'stored';
        },
        { bind: true },
      );
      await startWorker(app);
      const out = (await (await t.delay()).get({ timeout: 5_000 })) as string;
      expect(out).toMatch(/^SerializationError: Cannot store state PROGRESS of task "s.progress"/);
      expect(out).toContain('meta.done is a BigInt');
    });

    test('a bad meta not caught by the task fails it instead of hanging', async () => {
      const app = await makeApp();
      const t = app.task('s.progress.uncaught', async (ctx: TaskContext) => ctx.updateState({ state: 'PROGRESS', meta: cycle() }), { bind: true });
      await startWorker(app);
      const err = await taskError((await t.delay()).get({ timeout: 5_000 }));
      expect(err.excType).toBe('EncodeError');
      expect(String(err.excMessage)).toContain('meta.self is a circular reference');
    });

    test("a retry whose exc is an odd object (no prototype, a BigInt inside) still retries and settles", async () => {
      const app = await makeApp();
      const t = app.task(
        's.retry.odd',
        (ctx: TaskContext) => {
          if (ctx.retries === 0) {
            const exc = Object.assign(Object.create(null) as object, { n: 10n });
            return ctx.retry({ countdown: 10, exc });
          }
          return 'second try';
        },
        { bind: true },
      );
      await startWorker(app);
      await expect((await t.delay()).get({ timeout: 5_000 })).resolves.toBe('second try');
    });

    test('a follow-up that can never be sent (over taskMessageMaxSize) fails the task instead of looping', async () => {
      const app = await makeApp({ taskMessageMaxSize: 4_096 });
      const big = app.task('s.big.result', () => 'x'.repeat(10_000));
      const next = app.task('s.next', (s: string) => s.length);
      await startWorker(app);
      const res = await big.applyAsync([], { link: next.s() });
      // NOTE: SUCCESS is stored before follow-ups are sent; the failed send then stores FAILURE over it.
      await until(async () => (await res.state()) === 'FAILURE');
      const err = await taskError(res.get({ timeout: 5_000 }));
      expect(err.excType).toBe('EncodeError');
      expect(String(err.excMessage)).toContain('taskMessageMaxSize');
      expect(await app.broker.queueLength('celery')).toBe(0);
      await expect((await next.delay('abc')).get({ timeout: 5_000 })).resolves.toBe(3);
    });

    test('an errback that can never be sent is reported; the failure stored is still the task\'s own, and the message is acked', async () => {
      const app = await makeApp();
      const t = app.task('s.fails', () => {
        throw new RangeError('boom');
      });
      const eb = app.task('s.eb', (id: string) => id);
      const w = await startWorker(app);
      const errors: Error[] = [];
      w.on('error', (e) => errors.push(e));
      // NOTE: a permanent send failure, injected (a real one: the queue's key holds another Redis type, WRONGTYPE).
      const publish = app.producer.publish.bind(app.producer);
      app.producer.publish = (msg) =>
        msg.task === eb.taskName ? Promise.reject(new SerializationError(`cannot send ${msg.task} (injected)`)) : publish(msg);
      const res = await t.applyAsync([], { linkError: signature(eb.taskName) });
      const err = await taskError(res.get({ timeout: 5_000 }));
      expect(err.excType).toBe('ValueError');
      expect(err.excMessage).toEqual(['boom']);
      await until(() => errors.length > 0);
      expect(errors[0]!.message).toMatch(/cannot send s\.eb \(injected\)/);
      await until(async () => (await w.onIdle(), w.running === 0));
      expect(await app.broker.queueLength('celery')).toBe(0);
    });

    test('eager mode (taskAlwaysEager) stores the same EncodeError FAILURE', async () => {
      const app = await makeApp({ taskAlwaysEager: true });
      const big = app.task('s.bigint.eager', () => ({ total: 10n }) as unknown as number);
      const err = await taskError((await big.delay()).get({ timeout: 5_000 }));
      expect(err.excType).toBe('EncodeError');
      expect(String(err.excMessage)).toContain('result.total is a BigInt');
    });

    test('a thrown plain object is stored with its JSON; a string, number, null, undefined read sensibly', async () => {
      const app = await makeApp();
      const values: Record<string, unknown> = { obj: { code: 42 }, str: 'boom', num: 7, nul: null, und: undefined, big: { n: 10n } };
      const t = app.task('s.throw', (k: string) => {
        throw values[k];
      });
      await startWorker(app);
      const message = async (k: string) => (await taskError((await t.delay(k)).get({ timeout: 5_000 }))).excMessage;
      expect(await message('obj')).toEqual(['{"code":42}']);
      expect(await message('str')).toEqual(['boom']);
      expect(await message('num')).toEqual(['7']);
      expect(await message('nul')).toEqual(['null was thrown (not an Error)']);
      expect(await message('und')).toEqual(['undefined was thrown (not an Error)']);
      expect(await message('big')).toEqual(['{ n: 10n }']);
    });

    test('a task no worker knows is dead-lettered AND stored as FAILURE (NotRegistered), so get() rejects at once', async () => {
      const app = await makeApp();
      const ghost = app.remoteTask<[number], number>('s.nobody.knows');
      const dead: string[] = [];
      const w = await startWorker(app);
      w.on('deadLettered', (e) => dead.push(e.reason));
      const res = await ghost.delay(1);
      const err = await taskError(res.get({ timeout: 5_000 }));
      expect(err.excType).toBe('NotRegistered');
      expect(err.excModule).toBe('celery.exceptions');
      expect(err.excMessage).toEqual(['s.nobody.knows']);
      await until(() => dead.length === 1);
      expect(dead[0]).toContain('unknown task "s.nobody.knows"');
      const letters = await app.broker.deadLetters();
      expect(letters).toHaveLength(1);
    });

    test('an unknown task sent with ignoreResult is dead-lettered but stores nothing', async () => {
      const app = await makeApp();
      const dead: string[] = [];
      const w = await startWorker(app);
      w.on('deadLettered', (e) => dead.push(e.reason));
      const res = await app.sendTask('s.nobody.quiet', [], { ignoreResult: true });
      await until(() => dead.length === 1);
      expect(await res.state()).toBe('PENDING');
    });

    test('a header task of a chord whose size is not stored yet runs and is counted; the body waits for the size', async () => {
      // NOTE: as Celery: a Python client stores the size just before it sends the last header task.
      const app = await makeApp();
      app.task('s.chord.add', (a: number, b: number) => a + b);
      app.task('s.chord.sum', (xs: number[]) => xs.reduce((a, b) => a + b, 0));
      await startWorker(app);
      const bodyId = randomUUID();
      const gid = randomUUID();
      const header = (i: number) => {
        const msg = completeMessage({ id: randomUUID(), task: 's.chord.add', args: [i, i], kwargs: {}, queue: 'celery', group: gid, groupIndex: i });
        msg.chord = { task: 's.chord.sum', args: [], kwargs: {}, options: { task_id: bodyId }, subtask_type: null, immutable: false };
        return msg;
      };
      const first = header(0);
      await app.broker.publish('celery', 0, encodeMessage(first));
      await expect(app.asyncResult(first.id).get({ timeout: 5_000 })).resolves.toBe(0);
      expect(await app.asyncResult(bodyId).state()).toBe('PENDING');
      await (app.backend as unknown as { setChordSize(g: string, n: number, ms: number): Promise<void> }).setChordSize(gid, 2, 60_000);
      await app.broker.publish('celery', 0, encodeMessage(header(1)));
      await expect(app.asyncResult(bodyId).get({ timeout: 5_000 })).resolves.toBe(2);
    });

    test('a message with malformed callbacks is dead-lettered with the reason, not held STARTED forever', async () => {
      const app = await makeApp();
      const t = app.task('s.cb.host', () => 1);
      const dead: string[] = [];
      const w = await startWorker(app);
      w.on('deadLettered', (e) => dead.push(e.reason));
      const msg = completeMessage({ id: randomUUID(), task: 's.cb.host', args: [], kwargs: {}, queue: 'celery' });
      const raw = JSON.parse(encodeMessage(msg)) as { body: string };
      const body = JSON.parse(Buffer.from(raw.body, 'base64').toString()) as unknown[];
      body[2] = { callbacks: [{ task: 's.cb.host', args: [], kwargs: 'not an object', options: {}, subtask_type: null, immutable: false }], errbacks: null, chain: null, chord: null };
      raw.body = Buffer.from(JSON.stringify(body)).toString('base64');
      await app.broker.publish('celery', 0, JSON.stringify(raw));
      await until(() => dead.length === 1);
      expect(dead[0]).toContain('callbacks[0].kwargs');
      expect(await app.asyncResult(msg.id).state()).toBe('PENDING');
      // the worker goes on
      await expect((await t.delay()).get({ timeout: 5_000 })).resolves.toBe(1);
    });
  });
}
