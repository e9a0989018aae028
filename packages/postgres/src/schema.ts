// The tables of Celery's database result backend, as SQLAlchemy creates them for Celery 5.2 (captured from
// `create_all` with Debian's python3-celery and python3-sqlalchemy 1.4), plus celeriac's NOTIFY trigger.
import type { Pool, PoolClient } from 'pg';

/** The channel every stored state is announced on (payload: see NOTIFY_FUNCTION). */
export const CHANNEL = 'celeriac_taskmeta';

/** NOTIFY payloads must stay under 8000 bytes; a larger state is announced by its task id alone. */
const PAYLOAD_MAX = 7900;

// NOTE: SQLAlchemy's statements with IF NOT EXISTS added: the tables are the same whoever creates them first.
export const CELERY_DDL = [
  'CREATE SEQUENCE IF NOT EXISTS task_id_sequence START WITH 1',
  `CREATE TABLE IF NOT EXISTS celery_taskmeta (
	id INTEGER NOT NULL, 
	task_id VARCHAR(155), 
	status VARCHAR(50), 
	result BYTEA, 
	date_done TIMESTAMP WITHOUT TIME ZONE, 
	traceback TEXT, 
	name VARCHAR(155), 
	args BYTEA, 
	kwargs BYTEA, 
	worker VARCHAR(155), 
	retries INTEGER, 
	queue VARCHAR(155), 
	PRIMARY KEY (id), 
	UNIQUE (task_id)
)`,
  'CREATE SEQUENCE IF NOT EXISTS taskset_id_sequence START WITH 1',
  `CREATE TABLE IF NOT EXISTS celery_tasksetmeta (
	id INTEGER NOT NULL, 
	taskset_id VARCHAR(155), 
	result BYTEA, 
	date_done TIMESTAMP WITHOUT TIME ZONE, 
	PRIMARY KEY (id), 
	UNIQUE (taskset_id)
)`,
];

// The whole state when it fits a NOTIFY payload (the pickle in base64), else only the task id: the listener reads
// the row. Python's store inserts a PENDING row and updates it in one transaction; that PENDING is not announced.
const NOTIFY_FUNCTION = `CREATE OR REPLACE FUNCTION celeriac_taskmeta_notify() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE payload text;
BEGIN
  payload := json_build_object('task_id', NEW.task_id, 'status', NEW.status, 'result', encode(NEW.result, 'base64'),
    'traceback', NEW.traceback, 'date_done', to_char(NEW.date_done, 'YYYY-MM-DD"T"HH24:MI:SS.US'), 'name', NEW.name)::text;
  IF octet_length(payload) > ${PAYLOAD_MAX} THEN
    payload := json_build_object('task_id', NEW.task_id)::text;
  END IF;
  PERFORM pg_notify('${CHANNEL}', payload);
  RETURN NULL;
END
$fn$`;

const NOTIFY_TRIGGER = `DO $do$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'celeriac_taskmeta_notify' AND tgrelid = 'celery_taskmeta'::regclass) THEN
    CREATE TRIGGER celeriac_taskmeta_notify AFTER INSERT OR UPDATE ON celery_taskmeta
      FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM 'PENDING') EXECUTE FUNCTION celeriac_taskmeta_notify();
  END IF;
END $do$`;

// NOTE: a role that may not create (no CREATE on the schema, as on PostgreSQL 15's public schema by default, not the
// table's owner) works on tables someone else made, as long as they are complete: nothing is created then.
const PRESENT = `SELECT to_regclass('celery_taskmeta') IS NOT NULL AND to_regclass('celery_tasksetmeta') IS NOT NULL
    AND to_regclass('task_id_sequence') IS NOT NULL AND to_regclass('taskset_id_sequence') IS NOT NULL
    AND EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'celeriac_taskmeta_notify' AND tgrelid = to_regclass('celery_taskmeta')) AS ready`;

/** Everything this package creates, as one script a DBA can run for a role that may not create tables. */
export const SCHEMA_SQL = [...CELERY_DDL, NOTIFY_FUNCTION, NOTIFY_TRIGGER].map((sql) => `${sql};`).join('\n\n');

/** Creates what is missing (the tables, on a table Python made only the trigger), one backend at a time. */
export async function ensureSchema(pool: Pool): Promise<void> {
  const client: PoolClient = await pool.connect();
  let failed: unknown = null;
  try {
    const [present] = (await client.query<{ ready: boolean }>(PRESENT)).rows;
    if (present?.ready) return;
    await client.query('BEGIN');
    // NOTE: concurrent CREATE … IF NOT EXISTS can still collide in the catalogs: one celeriac process at a time.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('celeriac_schema'))");
    for (const sql of CELERY_DDL) await client.query(sql);
    await client.query(NOTIFY_FUNCTION);
    await client.query(NOTIFY_TRIGGER);
    await client.query('COMMIT');
  } catch (err) {
    failed = err;
    await client.query('ROLLBACK').catch(() => undefined);
    if ((err as { code?: string }).code === INSUFFICIENT_PRIVILEGE) {
      throw new SchemaPrivilegeError(`cannot create Celery's result tables or celeriac's NOTIFY trigger (${(err as Error).message}); have them created once by a role that may (the SQL is SCHEMA_SQL, exported by @celeriac/postgres)`, { cause: err });
    }
    throw err;
  } finally {
    client.release(failed instanceof Error && !(failed as { code?: string }).code ? failed : undefined);
  }
}

const INSUFFICIENT_PRIVILEGE = '42501';

/** The role may not create what is missing (the message says what to do). */
export class SchemaPrivilegeError extends Error {
  override name = 'SchemaPrivilegeError';
}
