// What users can break: an unreachable server (a clear error naming the URL without its password, in bounded
// time), the LISTEN connection cut while a waiter waits (the state stored meanwhile is re-read), a server restart,
// and results past `resultExpires` (deleted by the worker's periodic clean-up).
import { randomUUID } from 'node:crypto';
import { BackendError, consoleLogger, createApp, SerializationError, type Celeriac, type Logger, type TaskContext } from '@celeriac/core';
import { freePort } from '../../../core/test/support/redis-server';
import { startPostgres, type PgServer } from '../support/pg-server';

jest.setTimeout(60_000);

let pg: PgServer;
let apps: Celeriac[] = [];
const silent = consoleLogger('silent');

const makeApp = (backend: string, extra: Parameters<typeof createApp>[1] = {}) => {
  const app = createApp(`faults-${randomUUID().slice(0, 6)}`, { backend, logger: silent, ...extra });
  apps.push(app);
  return app;
};
const success = (id: string, result: unknown) => ({ status: 'SUCCESS', result, traceback: null, children: [], date_done: null, task_id: id });
const adminUrl = (url: string) => Object.assign(new URL(url), { pathname: '/postgres' }).toString();
const dbName = (url: string) => new URL(url).pathname.slice(1);

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  pg = await startPostgres({ own: true });
});
afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
});
afterAll(() => pg?.stop());

test('an unreachable server: BackendError naming the URL with its password hidden, within the connection timeout', async () => {
  const port = await freePort();
  const url = `db+postgresql://celeriac:s3cret-pw@127.0.0.1:${port}/results`;
  const app = makeApp(url, { brokerConnectionTimeout: 1_000 });
  const started = Date.now();
  const errors = await Promise.all([
    app.asyncResult('t1').get({ timeout: 60_000 }).catch((e: unknown) => e),
    app.asyncResult('t2').state().catch((e: unknown) => e),
    app.backend.store(success('t3', 1), 1_000).catch((e: unknown) => e),
  ]);
  expect(Date.now() - started).toBeLessThan(15_000);
  for (const err of errors) {
    expect(err).toBeInstanceOf(BackendError);
    expect((err as Error).message).toContain(`Result backend db+postgresql://celeriac:***@127.0.0.1:${port}/results could not`);
    expect((err as Error).message).not.toContain('s3cret-pw');
  }
  expect(app.backend.url).not.toContain('s3cret-pw');
});

test('the LISTEN connection cut while a waiter waits: the state stored meanwhile is read again on reconnect', async () => {
  const db = await pg.createDatabase();
  const lines: string[] = [];
  const logger: Logger = { debug: () => undefined, info: (m) => lines.push(`INFO ${m}`), warn: (m) => lines.push(`WARN ${m}`), error: (m) => lines.push(`ERROR ${m}`) };
  const waiting = makeApp(`db+${db}`, { logger });
  const writer = makeApp(`db+${db}`);
  const id = randomUUID();
  let settled: unknown = 'pending';
  const result = waiting.asyncResult(id).get({ timeout: 30_000 });
  result.then((v) => (settled = v), (e: unknown) => (settled = e));
  await until('the waiter listening', async () => (await pg.query(db, "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'", [dbName(db)])).length === 1);
  await writer.backend.get('warm-up'); // the writer's pool keeps this connection open
  await pg.query(adminUrl(db), `ALTER DATABASE ${dbName(db)} ALLOW_CONNECTIONS false`);
  try {
    await pg.query(adminUrl(db), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'LISTEN%'", [dbName(db)]);
    await until('the loss logged', () => lines.some((l) => /^ERROR lost the LISTEN connection/.test(l)));
    await writer.backend.store(success(id, 'stored while nobody listened'), 60_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(settled).toBe('pending');
  } finally {
    await pg.query(adminUrl(db), `ALTER DATABASE ${dbName(db)} ALLOW_CONNECTIONS true`);
  }
  await expect(result).resolves.toBe('stored while nobody listened');
  expect(lines.some((l) => /^INFO reconnected to the result backend/.test(l))).toBe(true);
});

test('a server restart: stores and waits work again afterwards, a waiter across the restart is answered', async () => {
  const db = await pg.createDatabase();
  const app = makeApp(`db+${db}`);
  await app.backend.store(success('before', 1), 60_000);
  const id = randomUUID();
  const result = app.asyncResult(id).get({ timeout: 40_000 });
  await until('the waiter listening', async () => (await pg.query(db, "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'LISTEN%'")).length === 1);
  await pg.restart();
  // The first use of a pooled connection the restart killed may fail; a worker retries such a BackendError.
  await until('a store after the restart', () => app.backend.store(success(id, 'after'), 60_000).then(() => true, () => false));
  await expect(result).resolves.toBe('after');
  expect(await app.asyncResult('before').get({ timeout: 5_000 })).toBe(1);
});

test('what the table cannot hold is refused for good (SerializationError, which workers do not retry), alone', async () => {
  const db = await pg.createDatabase();
  const app = makeApp(`db+${db}`);
  await app.backend.get('warm-up');
  const outcomes = await Promise.allSettled([
    app.backend.store(success('ok-1', 1), 60_000),
    app.backend.store({ ...success('too-long', 1), status: 'S'.repeat(51) }, 60_000), // status is VARCHAR(50)
    app.backend.store({ ...success('nul', 1), traceback: 'a NUL \u0000 byte' }, 60_000), // refused by the server
    app.backend.store(success('x'.repeat(156), 1), 60_000), // task_id is VARCHAR(155)
    app.backend.store(success('ok-2', 2), 60_000),
  ]);
  expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled']);
  const [tooLong, nul, longId] = [1, 2, 3].map((i) => (outcomes[i] as PromiseRejectedResult).reason as Error);
  for (const err of [tooLong, nul, longId]) expect(err).toBeInstanceOf(SerializationError);
  expect(tooLong!.message).toMatch(/Cannot store the state of task too-long in db\+postgresql:.*: the state name "S+" is longer than 50 characters/);
  expect(nul!.message).toMatch(/refused to store the SUCCESS state of task nul: .*0x00/);
  expect(longId!.message).toMatch(/its id is longer than 155 characters/);
  expect(await app.asyncResult('ok-2').get({ timeout: 5_000 })).toBe(2);
});

test('a worker whose task reports a state the table cannot hold: the task can catch it, and ends stored', async () => {
  const db = await pg.createDatabase();
  const app = makeApp(`db+${db}`, { broker: `memory://${randomUUID()}` });
  const task = app.task(
    'faults.long_state',
    async (ctx: TaskContext) => {
      const err = await ctx.updateState({ state: 'A-STATE-NAME-FAR-LONGER-THAN-FIFTY-CHARACTERS-OF-VARCHAR', meta: {} }).then(() => null, (e: Error) => e);
      return err?.name ?? 'stored';
    },
    { bind: true },
  );
  const worker = app.worker({ concurrency: 1 });
  await worker.start();
  try {
    expect(await (await task.delay()).get({ timeout: 20_000 })).toBe('SerializationError');
  } finally {
    await worker.close();
  }
});

test('a server that stops answering: reads, stores and waits fail with a BackendError in bounded time, then recover', async () => {
  const db = await pg.createDatabase();
  const app = makeApp(`db+${db}`, { brokerConnectionTimeout: 1_000 });
  await app.backend.store(success('before', 1), 60_000);
  const resume = pg.stall();
  let resumed = false;
  try {
    const started = Date.now();
    const errors = await Promise.all([
      app.asyncResult('before').state().catch((e: unknown) => e),
      app.backend.store(success('during', 2), 60_000).catch((e: unknown) => e),
      app.asyncResult(randomUUID()).get({ timeout: 60_000 }).catch((e: unknown) => e),
    ]);
    const took = Date.now() - started;
    resume();
    resumed = true;
    for (const err of errors) expect(err).toBeInstanceOf(BackendError);
    // query_timeout: twice brokerConnectionTimeout, at least 10 s; the connection timeout bounds new connections.
    expect(took).toBeLessThan(25_000);
  } finally {
    if (!resumed) resume();
  }
  await until('the server answering again', () => app.backend.store(success('after', 3), 60_000).then(() => true, () => false));
  expect(await app.asyncResult('after').get({ timeout: 10_000 })).toBe(3);
});

test('tables dropped under a running backend are created again on the next call', async () => {
  const db = await pg.createDatabase();
  const app = makeApp(`db+${db}`);
  await app.backend.store(success('a', 1), 60_000);
  await pg.query(db, 'DROP TABLE celery_taskmeta, celery_tasksetmeta; DROP SEQUENCE task_id_sequence, taskset_id_sequence');
  await expect(app.backend.get('a')).rejects.toThrow(/relation "celery_taskmeta" does not exist/);
  expect(await app.backend.get('a')).toBeNull();
  await app.backend.store(success('b', 2), 60_000);
  expect(await app.asyncResult('b').get({ timeout: 5_000 })).toBe(2);
});

test('resultExpires: a running worker deletes older results (Celery’s backend_cleanup), keeps newer ones', async () => {
  const db = await pg.createDatabase();
  const app = makeApp(`db+${db}`, { broker: `memory://${randomUUID()}`, resultExpires: 3_000 });
  await app.backend.store(success('fresh', 'keep me'), 3_000);
  await app.backend.store(success('old', 'expired'), 3_000);
  await app.backend.store(success('old-group', 'expired'), 3_000);
  await pg.query(db, "UPDATE celery_taskmeta SET date_done = (now() AT TIME ZONE 'UTC') - interval '1 hour' WHERE task_id LIKE 'old%'");
  await pg.query(db, "INSERT INTO celery_tasksetmeta (id, taskset_id, date_done) VALUES (nextval('taskset_id_sequence'), 'g1', (now() AT TIME ZONE 'UTC') - interval '1 hour')");
  const add = app.task('faults.add', (a: number, b: number) => a + b);
  const worker = app.worker({ concurrency: 2 });
  await worker.start();
  try {
    await until('the old rows deleted', async () => (await app.asyncResult('old').meta()) === null);
    expect(await app.asyncResult('old-group').meta()).toBeNull();
    expect(await pg.query(db, 'SELECT * FROM celery_tasksetmeta')).toEqual([]);
    expect(await app.asyncResult('fresh').get()).toBe('keep me');
    // Later results expire too, while the worker runs (it cleans up every second at this expiry).
    const res = await add.delay(2, 3);
    expect(await res.get({ timeout: 10_000 })).toBe(5);
    await until('the task result expired', async () => (await res.meta()) === null, 20_000);
  } finally {
    await worker.close();
  }
});
