// One suite for the ResultBackend port, run on memory://, Redis and PostgreSQL: what is stored reads back the same,
// states replace each other, forget() deletes, listeners hear every later state (also one stored through another
// backend on the same store, as from another process), a throwing listener harms nobody, and results expire.
import { randomUUID } from 'node:crypto';
import { consoleLogger, createApp, type Celeriac, type ResultBackend, type ResultMeta } from '../../src';
import { makeMeta } from '../../src/protocol/result-meta';

export interface BackendTarget {
  /** The URL of a result store with nothing in it (the same one for the whole suite is fine: ids are unique). */
  url(): Promise<string>;
  /** Called once after the suite (stop the server). */
  teardown?(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function describeResultBackend(label: string, target: BackendTarget): void {
  describe(`result backend conformance (${label})`, () => {
    let apps: Celeriac[] = [];
    let url: string;

    beforeAll(async () => {
      url = await target.url();
    });
    afterEach(async () => {
      await Promise.all(apps.map((a) => a.close()));
      apps = [];
    });
    afterAll(() => target.teardown?.());

    /** A backend as an app builds it from the URL; several open at once stand for several processes. */
    const open = (): ResultBackend => {
      const app = createApp(`conf-${randomUUID().slice(0, 8)}`, { broker: 'memory://', backend: url, logger: consoleLogger('silent') });
      apps.push(app);
      return app.backend;
    };
    const id = () => randomUUID();
    const DAY = 86_400_000;

    test('an unknown task has no result', async () => {
      expect(await open().get(id())).toBeNull();
    });

    test.each([
      ['a string', 'sent'],
      ['a number', 42],
      ['a float', 2.5],
      ['null', null],
      ['true', true],
      ['a nested object', { user: { id: 7, tags: ['a', 'b'], ok: false, none: null }, list: [[1], [2.5, 'x']] }],
      ['unicode', { 'ключ': 'ä€😀', '': '' }],
      ['a long list', Array.from({ length: 3_000 }, (_, i) => i)],
    ])('a SUCCESS with %s reads back as stored', async (_what, value) => {
      const b = open();
      const meta = makeMeta(id(), 'SUCCESS', value, { done: true, name: 'conf.task' });
      await b.store(meta, DAY);
      expect(await b.get(meta.task_id)).toEqual(meta);
      expect(await open().get(meta.task_id)).toEqual(meta);
    });

    test('a FAILURE keeps its exception and traceback', async () => {
      const b = open();
      const meta = makeMeta(id(), 'FAILURE', { exc_type: 'ValueError', exc_message: ['bad input', 3], exc_module: 'builtins' }, { done: true, traceback: 'Traceback (most recent call last):\n  boom' });
      await b.store(meta, DAY);
      expect(await b.get(meta.task_id)).toEqual(meta);
    });

    test('a later state replaces the earlier one; date_done only on a ready state', async () => {
      const b = open();
      const taskId = id();
      await b.store(makeMeta(taskId, 'STARTED', { pid: 1, hostname: 'w1' }), DAY);
      const started = await b.get(taskId);
      expect(started).toMatchObject({ status: 'STARTED', result: { pid: 1, hostname: 'w1' }, date_done: null });
      await b.store(makeMeta(taskId, 'PROGRESS', { step: 1 }), DAY);
      await b.store(makeMeta(taskId, 'SUCCESS', 'done', { done: true }), DAY);
      const done = await b.get(taskId);
      expect(done).toMatchObject({ status: 'SUCCESS', result: 'done' });
      expect(done?.date_done).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    });

    test('a state that is not final never replaces a SUCCESS; a final state does, and anything replaces a FAILURE', async () => {
      const b = open();
      const taskId = id();
      await b.store(makeMeta(taskId, 'SUCCESS', 'done', { done: true }), DAY);
      // NOTE: a late STARTED (resent after a failover, or a second delivery of a task already done).
      await b.store(makeMeta(taskId, 'STARTED', { pid: 1, hostname: 'w1' }), DAY);
      await b.store(makeMeta(taskId, 'PROGRESS', { step: 1 }), DAY);
      expect(await open().get(taskId)).toMatchObject({ status: 'SUCCESS', result: 'done' });
      await b.store(makeMeta(taskId, 'FAILURE', { exc_type: 'ValueError', exc_message: ['again'], exc_module: 'builtins' }, { done: true }), DAY);
      expect(await open().get(taskId)).toMatchObject({ status: 'FAILURE', result: { exc_type: 'ValueError' } });
      // NOTE: a failed task runs again when it is redriven from the dead letters or delivered again.
      await b.store(makeMeta(taskId, 'STARTED', { pid: 2, hostname: 'w2' }), DAY);
      expect(await open().get(taskId)).toMatchObject({ status: 'STARTED', result: { pid: 2 } });
    });

    test('states stored without waiting for each other keep their order (a worker does not await STARTED)', async () => {
      const b = open();
      const ids = Array.from({ length: 20 }, id);
      await Promise.all(ids.map((t) => (void b.store(makeMeta(t, 'STARTED', { pid: 1 }), DAY), b.store(makeMeta(t, 'SUCCESS', t, { done: true }), DAY))));
      for (const t of ids) expect(await b.get(t)).toMatchObject({ status: 'SUCCESS', result: t });
    });

    test('forget() deletes the result; forgetting an unknown task is fine', async () => {
      const b = open();
      const taskId = id();
      await b.store(makeMeta(taskId, 'SUCCESS', 1, { done: true }), DAY);
      await b.forget(taskId);
      expect(await b.get(taskId)).toBeNull();
      await expect(b.forget(id())).resolves.toBeUndefined();
    });

    test('a listener hears every later state, in order, also those stored by another backend; unsubscribing stops it', async () => {
      const listening = open();
      const writer = open();
      const taskId = id();
      const other = id();
      const heard: ResultMeta[] = [];
      const heardToo: string[] = [];
      const stop = await listening.subscribe(taskId, (m) => heard.push(m));
      const stopToo = await listening.subscribe(taskId, (m) => heardToo.push(m.status));
      const stopOther = await listening.subscribe(other, () => heardToo.push('other'));
      const states = [makeMeta(taskId, 'STARTED', null), makeMeta(taskId, 'PROGRESS', { step: 1 }), makeMeta(taskId, 'PROGRESS', { step: 2 }), makeMeta(taskId, 'SUCCESS', { ok: true }, { done: true })];
      for (const m of states) await writer.store(m, DAY);
      await until('four states heard', () => heard.length === 4);
      expect(heard).toEqual(states);
      await until('the second listener', () => heardToo.length === 4);
      expect(heardToo).toEqual(['STARTED', 'PROGRESS', 'PROGRESS', 'SUCCESS']);
      stop();
      stopToo();
      stopOther();
      await writer.store(makeMeta(taskId, 'SUCCESS', { again: true }, { done: true }), DAY);
      await sleep(200);
      expect(heard).toHaveLength(4);
      expect(heardToo).toHaveLength(4);
    });

    test('a listener hears a large state as it was stored (over 8 KB: more than a NOTIFY payload holds)', async () => {
      const listening = open();
      const taskId = id();
      const heard: ResultMeta[] = [];
      await listening.subscribe(taskId, (m) => heard.push(m));
      const big = makeMeta(taskId, 'SUCCESS', { rows: Array.from({ length: 2_000 }, (_, i) => ({ i, name: `row ${i}` })) }, { done: true });
      const progress = makeMeta(taskId, 'PROGRESS', { step: 1 });
      await open().store(progress, DAY);
      await open().store(big, DAY);
      await until('both states', () => heard.length === 2);
      expect(heard).toEqual([progress, big]);
    });

    test('a listener that throws is reported as a process warning; the store and the other listeners go on', async () => {
      const b = open();
      const taskId = id();
      const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      try {
        const heard: string[] = [];
        await b.subscribe(taskId, () => {
          throw new Error('listener bug');
        });
        await b.subscribe(taskId, (m) => heard.push(m.status));
        await expect(b.store(makeMeta(taskId, 'SUCCESS', 1, { done: true }), DAY)).resolves.toBeUndefined();
        await until('the other listener', () => heard.length === 1);
        const [message, options] = emitWarning.mock.calls[0]! as [string, { code: string }];
        expect(message).toContain(`A result listener of task ${taskId} threw: Error: listener bug`);
        expect(options.code).toBe('CELERIAC_LISTENER_ERROR');
      } finally {
        emitWarning.mockRestore();
      }
    });

    test('a result expires: gone once older than its expiry (backends without their own expiry: after cleanup())', async () => {
      const b = open();
      const old = id();
      const fresh = id();
      await b.store(makeMeta(old, 'SUCCESS', 'old', { done: true }), 300);
      await sleep(1_200);
      await b.store(makeMeta(fresh, 'SUCCESS', 'fresh', { done: true }), DAY);
      if (b.cleanup) expect(await b.cleanup(1_000)).toBeGreaterThanOrEqual(1);
      else await sleep(100);
      expect(await b.get(old)).toBeNull();
      expect(await b.get(fresh)).toMatchObject({ result: 'fresh' });
    });

    test('close() twice is fine', async () => {
      const b = open();
      await b.get(id());
      await b.close();
      await expect(b.close()).resolves.toBeUndefined();
    });
  });
}
