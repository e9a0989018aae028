// A real Python Celery 5.2 worker with result_backend='db+postgresql://…' and celeriac sharing one results table,
// both ways: Node reads Python's results and failures (woken by the NOTIFY trigger), Python reads Node's.
import { consoleLogger, createApp, TaskError, type Celeriac, type Worker } from '@celeriac/core';
import type { PythonWorker } from '../../../core/test/interop/support';
import { startPgInterop, type PgInterop } from './interop-support';

jest.setTimeout(90_000);

let env: PgInterop;
let app: Celeriac;
let py: PythonWorker;
let nodeWorker: Worker;

beforeAll(async () => {
  env = await startPgInterop();
  app = createApp('pgint', { broker: env.redis.url(), backend: env.backendUrl, taskRoutes: { 'pg.*': 'pypg' }, logger: consoleLogger('silent') });
  app.task('node.add', (a: number, b: number) => ({ sum: a + b }), { queue: 'nodepg' });
  app.task('node.fail', (n: number) => {
    throw new RangeError(`node says no to ${n}`);
  }, { queue: 'nodepg' });
  nodeWorker = app.worker({ queues: ['nodepg'], concurrency: 4 });
  await nodeWorker.start();
  py = await env.startWorker();
});

afterAll(async () => {
  await nodeWorker?.close();
  await app?.close();
  await env?.stop();
});

describe('Node reads what a Python worker stored', () => {
  test('a result: the pickled dict Celery wrote is read, and the waiter is woken by the trigger', async () => {
    const res = await app.sendTask('pg.slow_add', [2, 3, 1]);
    const started = Date.now();
    await expect(res.get({ timeout: 30_000 })).resolves.toBe(5);
    // NOTE: get() read once before the task ended (it slept 1 s); only the NOTIFY can have resolved it.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const sum = await app.sendTask('pg.add', [2, 3]);
    await expect(sum.get({ timeout: 30_000 })).resolves.toEqual({ sum: 5 });
    const rows = await env.pg.query<{ id: number; date_done: Date }>(env.dbUrl, 'SELECT id, date_done FROM celery_taskmeta WHERE task_id = $1', [sum.id]);
    expect(rows).toHaveLength(1);
  });

  test('a failure is re-raised as a TaskError with its Python type and arguments', async () => {
    const res = await app.sendTask('pg.fail', [7]);
    const err = await res.get({ timeout: 30_000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TaskError);
    expect(err).toMatchObject({ excType: 'ValueError' });
    expect((err as TaskError).message).toContain('bad input');
    expect((await res.meta())?.result).toEqual({ exc_type: 'ValueError', exc_message: ['bad input', 7], exc_module: 'builtins' });
    expect((await res.meta())?.traceback).toContain('ValueError');
  });

  test('allow-listed classes from a real Python task (datetime, date, Decimal, UUID, tuple) read as strings and arrays', async () => {
    const res = await app.sendTask('pg.typed', []);
    await expect(res.get({ timeout: 30_000 })).resolves.toEqual({
      at: '2026-11-30T12:30:15.250000',
      aware: '2026-11-30T12:30:00+00:00',
      day: '2026-12-01',
      price: '19.99',
      id: '6f1c2a4e-8b7d-4c3e-9a1f-0123456789ab',
      tuple: [1, 'two'],
    });
  });

  test('a result celeriac refuses to unpickle (a set) fails the waiter with a clear error, never hangs', async () => {
    const res = await app.sendTask('pg.unsafe', []);
    const err = (await res.get({ timeout: 30_000 }).catch((e: unknown) => e)) as TaskError;
    expect(err).toBeInstanceOf(TaskError);
    expect(err.excType).toBe('PickleError');
    expect(err.message).toMatch(/stored SUCCESS result .* cannot be read: opcode 0x8f/);
  });

  test('a state Python stores outside a worker (backend.store_result) wakes a Node subscriber', async () => {
    const id = `py-store-${Date.now()}`;
    const heard: string[] = [];
    const stop = await app.asyncResult(id).subscribe((m) => heard.push(`${m.status}:${JSON.stringify(m.result)}`));
    await env.py('store', id, 'PROGRESS', '{"step": 1}');
    await env.py('store', id, 'SUCCESS', '[1, 2]');
    const deadline = Date.now() + 10_000;
    while (heard.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    stop();
    expect(heard).toEqual(['PROGRESS:{"step":1}', 'SUCCESS:[1,2]']);
  });
});

describe('Python reads what a celeriac worker stored', () => {
  test('a result: Python sends to the Node worker and its get() unpickles our row', async () => {
    const out = await env.py('call', 'node.add', '[20, 22]');
    expect(out).toMatchObject({ status: 'SUCCESS', result: { sum: 42 } });
    const read = await env.py('read', String(out.id));
    expect(read.status).toBe('SUCCESS');
    expect(read.date_done).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
  });

  test('a failure: Python re-raises the exception the Node task threw', async () => {
    const out = await env.py('call', 'node.fail', '[3]');
    expect(out).toMatchObject({ status: 'FAILURE', exc_type: 'ValueError', exc_args: ['node says no to 3'] });
  });

  test('a Node-sent task run by Node is read by Python too (same table, same rows)', async () => {
    const res = await app.getTask<[number, number], { sum: number }>('node.add').delay(1, 1);
    await expect(res.get({ timeout: 30_000 })).resolves.toEqual({ sum: 2 });
    expect(await env.py('read', res.id)).toMatchObject({ status: 'SUCCESS', result: { sum: 2 } });
  });
});

test('the Python worker logged no error about our rows', () => {
  expect(py.logs()).not.toMatch(/UnpicklingError|sqlalchemy\.exc|psycopg2\./);
});
