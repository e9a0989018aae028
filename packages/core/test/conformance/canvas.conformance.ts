// Canvas on memory:// and on a real redis-server: chain, group, chord, GroupResult, bulk send, and the chord
// counters gone after every chord (failed ones included).
import { randomUUID } from 'node:crypto';
import {
  ChordError,
  ConfigurationError,
  GroupResult,
  SerializationError,
  TaskError,
  TaskRevokedError,
  chain,
  chord,
  group,
  signature,
  type Celeriac,
} from '../../src';
import { appHarness, until, type Target } from './harness';
import { rejectionOf } from '../support/rejection';

export interface CanvasTarget extends Target {
  /** Chord bookkeeping left in the app's result backend (`.j` / `.s` / `.t` keys on Redis). */
  leftovers(app: Celeriac): Promise<string[]>;
}

const T = { timeout: 15_000 };

/** The tasks every test uses; `log` records errback calls. */
function tasks(app: Celeriac) {
  const log: string[] = [];
  return {
    log,
    add: app.task('c.add', (a: number, b: number) => a + b),
    mul: app.task('c.mul', (a: number, b: number) => a * b),
    tsum: app.task('c.tsum', (xs: number[]) => xs.reduce((a, b) => a + b, 0)),
    echo: app.task('c.echo', (...args: unknown[]) => args),
    fail: app.task('c.fail', (msg: string) => {
      throw new RangeError(msg);
    }),
    onError: app.task('c.on_error', (taskId: string) => {
      log.push(taskId);
      return taskId;
    }),
  };
}

export function describeCanvasConformance(label: string, target: CanvasTarget): void {
  describe(`canvas (${label})`, () => {
    const { makeApp, startWorker } = appHarness(target, { concurrency: 8, shutdownTimeout: 2_000 });

    describe('chain', () => {
      test('chain(add.s(2, 2), mul.s(4), mul.s(8)) resolves the last result; .parent leads back to the first', async () => {
        const app = await makeApp();
        const { add, mul } = tasks(app);
        await startWorker(app);
        const res = await chain(add.s(2, 2), mul.s(4), mul.s(8)).applyAsync();
        await expect(res.get(T)).resolves.toBe(128);
        const second = res.parent!;
        const first = second.parent!;
        expect(first.parent).toBeNull();
        expect(second).toBeInstanceOf(Object.getPrototypeOf(res).constructor);
        await expect(second.get(T)).resolves.toBe(16);
        await expect(first.get(T)).resolves.toBe(4);
        const firstMeta = await app.asyncResult((first as typeof res).id).meta();
        expect(firstMeta!.children).toEqual([[[(second as typeof res).id, null], null]]);
        expect(await res.meta()).toMatchObject({ parent_id: (second as typeof res).id });
      });

      test('pipe() and si(): an immutable step ignores the previous result; args go before the first step', async () => {
        const app = await makeApp();
        const { add, mul } = tasks(app);
        await startWorker(app);
        const res = await add.s(2).pipe(mul.si(3, 3), add.s(1)).applyAsync([40]);
        await expect(res.get(T)).resolves.toBe(10);
        await expect((res.parent!.parent as typeof res).get(T)).resolves.toBe(42);
      });

      test('a failing step: the steps after it are FAILURE, linkError is called with the failed step id', async () => {
        const app = await makeApp();
        const { add, fail, mul, onError, log } = tasks(app);
        await startWorker(app);
        const res = await chain(add.s(1, 1), fail.si('step two'), mul.s(10)).applyAsync([], { linkError: onError.s() });
        const err = await rejectionOf(res.get(T), TaskError);
        expect(err.excMessage).toEqual(['step two']);
        const failedId = (res.parent as typeof res).id;
        expect(await app.asyncResult(failedId).state()).toBe('FAILURE');
        await until(() => log.includes(failedId), 10_000);
        expect(log).toEqual([failedId]);
      });

      test('a chain of unbound signatures is refused, naming the fix', async () => {
        const app = await makeApp();
        tasks(app);
        await expect(chain(signature('c.add', [1, 2]), signature('c.mul', [2])).applyAsync()).rejects.toBeInstanceOf(ConfigurationError);
        await expect(chain(signature('c.add', [1, 2]), signature('c.mul', [2])).applyAsync()).rejects.toThrow(/task\.s\(\)/);
        const res = await chain(app.signature('c.add', [1, 2]), signature('c.mul', [2])).applyAsync();
        await startWorker(app);
        await expect(res.get(T)).resolves.toBe(6);
      });
    });

    describe('group and GroupResult', () => {
      test('get() in order, completedCount(), ready(), successful(), group_id on every member', async () => {
        const app = await makeApp();
        const { add } = tasks(app);
        const g = await group([add.s(1, 1), add.s(2, 2), add.s(3, 3)]).applyAsync();
        expect(g).toBeInstanceOf(GroupResult);
        expect(await g.completedCount()).toBe(0);
        expect(await g.ready()).toBe(false);
        await startWorker(app);
        await expect(g.get(T)).resolves.toEqual([2, 4, 6]);
        expect(await g.completedCount()).toBe(3);
        expect(await g.ready()).toBe(true);
        expect(await g.successful()).toBe(true);
        const metas = await g.metas();
        expect(metas.map((m) => m!.group_id)).toEqual([g.id, g.id, g.id]);
      });

      test('a failing member: get() rejects with it; with propagate: false its error info takes its place', async () => {
        const app = await makeApp();
        const { add, fail } = tasks(app);
        await startWorker(app);
        const g = await group(add.s(1, 1), fail.s('member'), add.s(3, 3)).applyAsync();
        const err = await rejectionOf(g.get(T), TaskError);
        expect(err.excMessage).toEqual(['member']);
        const all = await g.get({ ...T, propagate: false });
        expect(all[0]).toBe(2);
        expect(all[1]).toMatchObject({ exc_type: 'ValueError', exc_message: ['member'] });
        expect(await g.failed()).toBe(true);
        expect(await g.completedCount()).toBe(2);
      });

      test('revoke() revokes every member: none runs', async () => {
        const app = await makeApp();
        const { add } = tasks(app);
        await startWorker(app);
        const g = await group([add.s(1, 1), add.s(2, 2)]).applyAsync([], { countdown: 1_500 });
        await g.revoke();
        await expect(g.get(T)).rejects.toBeInstanceOf(TaskRevokedError);
        await until(async () => (await g.metas()).every((m) => m?.status === 'REVOKED'), 10_000);
      });

      test('save() and app.groupResult(id) find the members again; get() times out clearly', async () => {
        const app = await makeApp();
        const { add } = tasks(app);
        const g = await group([add.s(1, 1), add.s(2, 2)]).applyAsync();
        await g.save();
        const again = await app.groupResult(g.id);
        expect(again!.results.map((r) => r.id)).toEqual(g.results.map((r) => r.id));
        await expect(again!.get({ timeout: 100 })).rejects.toThrow(`Timed out after 100 ms waiting for the result of group ${g.id}`);
        expect(await app.groupResult(randomUUID())).toBeNull();
        await startWorker(app);
        await expect(again!.get(T)).resolves.toEqual([2, 4]);
        await g.forget();
        expect(await app.groupResult(g.id)).toBeNull();
      });

      test('a group of 10,000 tasks completes, in order', async () => {
        const app = await makeApp();
        const { add } = tasks(app);
        const g = await group(Array.from({ length: 10_000 }, (_, i) => add.s(i, 1))).applyAsync();
        await startWorker(app, { concurrency: 50 });
        const values = await g.get({ timeout: 120_000 });
        expect(values.length).toBe(10_000);
        expect(values.every((v, i) => v === i + 1)).toBe(true);
        expect(await target.leftovers(app)).toEqual([]);
      }, 150_000);
    });

    describe('chord', () => {
      test('chord([add.s(1, 1), …], tsum.s()): the body gets the header results in order; no counter left', async () => {
        const app = await makeApp();
        const { add, tsum } = tasks(app);
        await startWorker(app);
        const res = await chord([add.s(1, 1), add.s(2, 2), add.s(3, 3)], tsum.s()).applyAsync();
        await expect(res.get(T)).resolves.toBe(12);
        expect(res.parent).toBeInstanceOf(GroupResult);
        await expect((res.parent as GroupResult).get(T)).resolves.toEqual([2, 4, 6]);
        const metas = await (res.parent as GroupResult).metas();
        expect(metas.map((m) => m!.group_id)).toEqual(Array(3).fill((res.parent as GroupResult).id));
        expect(await target.leftovers(app)).toEqual([]);
      });

      test('the body keeps its own args after the results; an immutable body gets none', async () => {
        const app = await makeApp();
        const { add, echo } = tasks(app);
        await startWorker(app);
        const res = await chord([add.s(1, 1), add.s(2, 2)], echo.s('tail')).applyAsync();
        await expect(res.get(T)).resolves.toEqual([[2, 4], 'tail']);
        const imm = await chord([add.s(1, 1)], echo.si('only')).applyAsync();
        await expect(imm.get(T)).resolves.toEqual(['only']);
      });

      test('a failing header task: the chord is FAILURE with a ChordError naming it; the errback runs; no counter left', async () => {
        const app = await makeApp();
        const { add, fail, tsum, onError, log } = tasks(app);
        await startWorker(app);
        const res = await chord([add.s(1, 1), fail.s('header boom'), add.s(3, 3)], tsum.s()).applyAsync([], { linkError: onError.s() });
        const err = await rejectionOf(res.get(T), ChordError);
        const failedId = (res.parent as GroupResult).results[1]!.id;
        expect(err.excType).toBe('ChordError');
        expect(err.excModule).toBe('celery.exceptions');
        expect(String(err.excMessage)).toContain(failedId);
        expect(String(err.excMessage)).toContain('c.fail');
        expect(String(err.excMessage)).toContain("ValueError('header boom')");
        await until(() => log.includes(res.id), 10_000);
        expect(await target.leftovers(app)).toEqual([]);
      });

      test('a revoked header task fails the chord too; body.onError() is the same as linkError', async () => {
        const app = await makeApp();
        const { add, tsum, onError, log } = tasks(app);
        await startWorker(app);
        const header = [add.s(1, 1), add.s(2, 2).set({ countdown: 1_500 })];
        const res = await chord(header, tsum.s().onError(onError.s())).applyAsync();
        await app.revoke((res.parent as GroupResult).results[1]!.id);
        const err = await rejectionOf(res.get(T), ChordError);
        expect(String(err.excMessage)).toContain("TaskRevokedError('revoked')");
        await until(() => log.includes(res.id), 10_000);
        expect(await target.leftovers(app)).toEqual([]);
      });

      test('a chain as the body: its first step gets the results; .parent leads back to the header', async () => {
        const app = await makeApp();
        const { add, mul, tsum, fail, onError, log } = tasks(app);
        await startWorker(app);
        const res = await chord([add.s(1, 1), add.s(2, 2)], chain(tsum.s(), mul.s(10))).applyAsync();
        await expect(res.get(T)).resolves.toBe(60);
        const sumStep = res.parent as typeof res;
        await expect(sumStep.get(T)).resolves.toBe(6);
        expect(sumStep.parent).toBeInstanceOf(GroupResult);
        const failing = await chord([fail.s('no')], chain(tsum.s(), mul.s(10))).applyAsync([], { linkError: onError.s() });
        await expect(failing.get(T)).rejects.toBeInstanceOf(ChordError);
        await expect((failing.parent as typeof res).get(T)).rejects.toBeInstanceOf(ChordError);
        await until(() => log.includes(failing.id), 10_000);
        expect(await target.leftovers(app)).toEqual([]);
      });

      test('an empty header runs the body with []', async () => {
        const app = await makeApp();
        const { tsum } = tasks(app);
        await startWorker(app);
        const res = await chord([], tsum.s()).applyAsync();
        await expect(res.get(T)).resolves.toBe(0);
      });

      test('a header task no worker knows fails the chord instead of leaving it waiting', async () => {
        const app = await makeApp();
        const { add, tsum } = tasks(app);
        await startWorker(app);
        const res = await chord([add.s(1, 1), app.signature('c.nobody_has_this')], tsum.s()).applyAsync();
        const err = await rejectionOf(res.get(T), ChordError);
        expect(String(err.excMessage)).toContain('NotRegistered');
        expect(await target.leftovers(app)).toEqual([]);
      });

      test('a header task that runs again after its chord completed: the body is not sent twice, no counter left', async () => {
        const app = await makeApp();
        const { add, echo } = tasks(app);
        const w = await startWorker(app);
        const runs: string[] = [];
        w.on('completed', (e) => runs.push(e.name));
        const res = await chord([add.s(1, 1), add.s(2, 2)], echo.s()).applyAsync();
        await expect(res.get(T)).resolves.toEqual([[2, 4]]);
        const member = (res.parent as GroupResult).results[0]!.id;
        // The same message again, as a worker that died before its ack would leave it for another.
        const again = app.producer.build('c.add', [1, 1], { taskId: member });
        again.group = (res.parent as GroupResult).id;
        again.groupIndex = 0;
        again.chord = echo.s().set({ taskId: res.id }).toDict();
        await app.publish(again);
        await until(() => runs.filter((n) => n === 'c.add').length === 3, 10_000);
        await w.onIdle();
        expect(runs.filter((n) => n === 'c.echo')).toHaveLength(1);
        expect(await target.leftovers(app)).toEqual([]);
      });

      test('a chord of 2,000 header tasks completes with every result in order; no counter left', async () => {
        const app = await makeApp();
        const { add, echo } = tasks(app);
        const res = await chord(Array.from({ length: 2_000 }, (_, i) => add.s(i, 0)), echo.s()).applyAsync();
        await startWorker(app, { concurrency: 50 });
        const [values] = (await res.get({ timeout: 60_000 })) as [number[]];
        expect(values).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
        expect(await target.leftovers(app)).toEqual([]);
      }, 90_000);
    });

    describe('sendMany', () => {
      test('signatures and { task, args, options } in one call; handles in order', async () => {
        const app = await makeApp();
        const { add, mul } = tasks(app);
        await startWorker(app);
        const [a, b, c] = await app.sendMany([add.s(1, 2), { task: 'c.mul', args: [3, 4] }, mul.s(5, 5).set({ taskId: 'fixed-id-1' })]);
        expect(c!.id).toBe('fixed-id-1');
        await expect(Promise.all([a!.get(T), b!.get(T), c!.get(T)])).resolves.toEqual([3, 12, 25]);
      });

      test('one call that cannot be sent: nothing is sent', async () => {
        const app = await makeApp();
        const { add } = tasks(app);
        await expect(app.sendMany([add.s(1, 2), add.s((() => 1) as unknown as number, 1)])).rejects.toBeInstanceOf(SerializationError);
        await expect(app.sendMany([add.s(1, 2), { task: '' } as never])).rejects.toThrow(/calls\[1\]/);
        expect(await app.broker.queueLength('celery')).toBe(0);
      });
    });

    describe('eager mode (taskAlwaysEager)', () => {
      test('chain, group and chord run inline', async () => {
        const app = await makeApp({ taskAlwaysEager: true });
        const { add, mul, tsum, fail } = tasks(app);
        await expect((await chain(add.s(1, 1), mul.s(5)).applyAsync()).get(T)).resolves.toBe(10);
        await expect((await group([add.s(1, 1), add.s(2, 2)]).applyAsync()).get(T)).resolves.toEqual([2, 4]);
        await expect((await chord([add.s(1, 1), add.s(2, 2)], tsum.s()).applyAsync()).get(T)).resolves.toBe(6);
        await expect((await chord([fail.s('x')], tsum.s()).applyAsync()).get(T)).rejects.toBeInstanceOf(ChordError);
        await expect((await chord([add.s(1, 1), add.s(2, 2)], chain(tsum.s(), mul.s(2))).applyAsync()).get(T)).resolves.toBe(12);
        const failing = await chain(add.s(1, 1), fail.si('eager'), mul.s(2)).applyAsync();
        await expect(failing.get(T)).rejects.toMatchObject({ excMessage: ['eager'] });
        await expect(Promise.all((await app.sendMany([add.s(2, 2)])).map((r) => r.get(T)))).resolves.toEqual([4]);
      });
    });
  });
}
