// Celery 5.2's tables, byte for byte in the catalog: celeriac's and SQLAlchemy's create the same thing, rows take
// ids from the sequence, date_done is naive UTC, the result column holds Python's pickle; the trigger is added to
// a table Python made.
import { randomUUID } from 'node:crypto';
import { consoleLogger, createApp, type Celeriac } from '@celeriac/core';
import { SCHEMA_SQL } from '../../src';
import { startPostgres, type PgServer } from '../support/pg-server';
import { pgApp, pgAppEnv } from './interop-support';

jest.setTimeout(60_000);

let pg: PgServer;
const apps: Celeriac[] = [];
const backendOn = (url: string) => {
  const app = createApp(`schema-${apps.length}`, { backend: `db+${url}`, logger: consoleLogger('silent') });
  apps.push(app);
  return app.backend;
};

beforeAll(async () => {
  pg = await startPostgres();
});
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
  await pg?.stop();
});

const CATALOG = {
  columns: `SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length, is_nullable, column_default
            FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
  constraints: `SELECT c.conrelid::regclass::text AS tbl, c.contype, array_agg(a.attname ORDER BY a.attname) AS cols
                FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
                WHERE c.connamespace = 'public'::regnamespace GROUP BY 1, 2, c.conname ORDER BY 1, 2, 3`,
  sequences: `SELECT sequence_name, data_type, start_value, minimum_value, maximum_value, increment, cycle_option
              FROM information_schema.sequences WHERE sequence_schema = 'public' ORDER BY 1`,
  indexes: `SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1, 2`,
};

async function catalog(url: string) {
  const out: Record<string, unknown[]> = {};
  for (const [k, sql] of Object.entries(CATALOG)) out[k] = await pg.query(url, sql);
  return out;
}

const triggers = (url: string) => pg.query<{ tgname: string }>(url, "SELECT tgname FROM pg_trigger WHERE tgrelid = 'celery_taskmeta'::regclass AND NOT tgisinternal");

test("celeriac creates exactly the tables SQLAlchemy creates for Celery 5.2, and adds its trigger to Python's", async () => {
  const ours = await pg.createDatabase();
  const theirs = await pg.createDatabase();
  await backendOn(ours).get('nothing');
  await pgApp(pgAppEnv(`db+${theirs}`), 'create_all');
  const a = await catalog(ours);
  const b = await catalog(theirs);
  expect(a).toEqual(b);
  expect(a.columns!.map((c) => (c as { column_name: string }).column_name)).toEqual([
    'id', 'task_id', 'status', 'result', 'date_done', 'traceback', 'name', 'args', 'kwargs', 'worker', 'retries', 'queue', // celery_taskmeta
    'id', 'taskset_id', 'result', 'date_done', // celery_tasksetmeta
  ]);
  expect(await triggers(theirs)).toEqual([]);
  await backendOn(theirs).get('nothing');
  expect(await triggers(theirs)).toEqual([{ tgname: 'celeriac_taskmeta_notify' }]);
  expect(await catalog(theirs)).toEqual(b);
  // A second backend (another process) finds everything in place and changes nothing.
  await backendOn(ours).get('nothing');
  expect(await triggers(ours)).toEqual([{ tgname: 'celeriac_taskmeta_notify' }]);
});

test("a row as Python's would be: id from task_id_sequence, naive UTC date_done, the protocol-5 pickle", async () => {
  const url = await pg.createDatabase();
  const backend = backendOn(url);
  await backend.store({ status: 'SUCCESS', result: { sum: 5 }, traceback: null, children: [], date_done: '2026-11-30T10:11:12.131415', task_id: 'row-1', name: 'proj.add' }, 1_000);
  await backend.store({ status: 'STARTED', result: { pid: 1 }, traceback: null, children: [], date_done: null, task_id: 'row-2' }, 1_000);
  const rows = await pg.query<Record<string, unknown>>(url, "SELECT id, task_id, status, encode(result, 'hex') AS result, date_done::text AS date_done, name FROM celery_taskmeta ORDER BY id");
  expect(rows[0]).toEqual({ id: 1, task_id: 'row-1', status: 'SUCCESS', result: '8005950c000000000000007d948c0373756d944b05732e', date_done: '2026-11-30 10:11:12.131415', name: 'proj.add' });
  expect(rows[1]).toMatchObject({ id: 2, task_id: 'row-2', status: 'STARTED', name: null });
  // Naive UTC, as Python's datetime.utcnow(): within a minute of now in UTC whatever the server's time zone.
  const [{ skew }] = await pg.query<{ skew: number }>(url, "SELECT abs(extract(epoch FROM (date_done - (now() AT TIME ZONE 'UTC')))) AS skew FROM celery_taskmeta WHERE task_id = 'row-2'");
  expect(Number(skew)).toBeLessThan(60);
  const [{ last_value }] = await pg.query<{ last_value: string }>(url, 'SELECT last_value FROM task_id_sequence');
  expect(Number(last_value)).toBeGreaterThanOrEqual(2);
});

test('a role that may not create tables: a clear error while they are missing, then works on tables a DBA made', async () => {
  const url = await pg.createDatabase();
  const role = `celeriac_app_${randomUUID().slice(0, 8)}`;
  await pg.query(url, `CREATE ROLE ${role} LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
  try {
    const limited = backendOn(Object.assign(new URL(url), { username: role }).toString());
    await expect(limited.get('x')).rejects.toThrow(/could not read the result of task x: cannot create Celery's result tables .*permission denied.*SCHEMA_SQL/);
    await pg.query(url, SCHEMA_SQL);
    await pg.query(url, `GRANT SELECT, INSERT, UPDATE, DELETE ON celery_taskmeta, celery_tasksetmeta TO ${role}; GRANT USAGE ON SEQUENCE task_id_sequence, taskset_id_sequence TO ${role}`);
    const heard: string[] = [];
    await limited.subscribe('x', (m) => heard.push(m.status));
    await limited.store({ status: 'SUCCESS', result: 1, traceback: null, children: [], date_done: null, task_id: 'x' }, 60_000);
    expect(await limited.get('x')).toMatchObject({ status: 'SUCCESS', result: 1 });
    for (let i = 0; i < 200 && heard.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    expect(heard).toEqual(['SUCCESS']);
    expect(await limited.cleanup!(1)).toBeGreaterThanOrEqual(0);
  } finally {
    await Promise.all(apps.splice(0).map((a) => a.close()));
    await pg.query(url, `DROP OWNED BY ${role}; DROP ROLE ${role}`);
  }
});
