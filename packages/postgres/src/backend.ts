// Celery's database result backend on PostgreSQL: one row per task in celery_taskmeta, the result pickled as
// Python keeps it; waiting is LISTEN/NOTIFY (listener.ts), clean-up deletes rows older than `resultExpires`.
import { Pool, type PoolConfig } from 'pg';
import { BackendError, notifyResultListener, redactUrl, SerializationError, type Logger, type ResultBackend, type ResultMeta, type TransportContext } from '@celeriac/core';
import { ResultListener } from './listener';
import { PickleError } from './pickle';
import { pickleResult, rowToMeta, SELECT_COLUMNS, storedName, type TaskRow } from './rows';
import { ensureSchema } from './schema';
import { StoreWriter } from './writer';
import { pgConfig } from './url';

// NOTE: one clean-up at a time across every process sharing the database; the others skip their turn.
const CLEANUP = `WITH lock AS (SELECT pg_try_advisory_xact_lock(hashtext('celeriac_cleanup')) AS got),
  cutoff AS (SELECT (now() AT TIME ZONE 'UTC') - make_interval(secs => $1::double precision / 1000) AS at),
  tasks AS (DELETE FROM celery_taskmeta WHERE (SELECT got FROM lock) AND date_done < (SELECT at FROM cutoff) RETURNING 1),
  sets AS (DELETE FROM celery_tasksetmeta WHERE (SELECT got FROM lock) AND date_done < (SELECT at FROM cutoff) RETURNING 1)
SELECT (SELECT count(*) FROM tasks) + (SELECT count(*) FROM sets) AS n`;

const UNDEFINED_TABLE = '42P01';
const DATA_FAULT = /^(22|23)/; // SQLSTATE classes: data exception, integrity constraint violation
const ID_MAX = 155; // celery_taskmeta.task_id VARCHAR(155)
const STATUS_MAX = 50; // celery_taskmeta.status VARCHAR(50)

const naiveUtcNow = () => `${new Date().toISOString().slice(0, 23)}000`;

/** A `db+postgresql://` result backend. Built by `createBackend`; the app loads it for such a `resultBackend`. */
export class PostgresBackend implements ResultBackend {
  /** The URL with its password hidden. */
  readonly url: string;
  readonly #pool: Pool;
  readonly #listener: ResultListener;
  readonly #logger: Logger;
  #schema: Promise<void> | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;
  readonly #writer = new StoreWriter((what, sql, params) => this.#query(what, sql, params));

  constructor(rawUrl: string, { settings, logger }: TransportContext) {
    this.url = redactUrl(rawUrl);
    this.#logger = logger;
    const base = pgConfig(rawUrl, settings);
    const poolConfig: PoolConfig = { ...base, max: Math.min(Math.max(settings.workerConcurrency, 2), 20), idleTimeoutMillis: 10_000, allowExitOnIdle: true };
    this.#pool = new Pool(poolConfig);
    // NOTE: an idle client whose server went away; the next query takes a fresh one.
    this.#pool.on('error', (err) => logger.debug(`result backend ${this.url}: idle connection lost: ${err.message}`));
    this.#listener = new ResultListener({
      // NOTE: TCP keepalive after 10 s idle: a server that vanished without closing is noticed, and re-listened to.
      config: { ...base, keepAlive: true, keepAliveInitialDelayMillis: 10_000 },
      logger,
      url: this.url,
      decode: (p) => this.#decodePayload(p),
      read: (ids) => this.#readMany(ids),
      deliver: notifyResultListener,
    });
  }

  #fail(what: string): (err: unknown) => never {
    return (err: unknown) => {
      if (err instanceof BackendError || err instanceof SerializationError) throw err;
      const why = err instanceof Error ? err.message || (err as { code?: string }).code || err.name : String(err);
      throw new BackendError(`Result backend ${this.url} could not ${what}: ${why}`, { cause: err });
    };
  }

  #ready(): Promise<void> {
    if (this.#closed) return Promise.reject(new BackendError(`Result backend ${this.url} is closed`));
    if (!this.#schema) {
      this.#schema = ensureSchema(this.#pool);
      this.#schema.catch(() => (this.#schema = null));
    }
    return this.#schema;
  }

  async #query<R extends object>(what: string, sql: string, params: unknown[]): Promise<R[]> {
    try {
      await this.#ready();
      return (await this.#pool.query<R>(sql, params)).rows;
    } catch (err) {
      const code = String((err as { code?: unknown }).code ?? '');
      // NOTE: the tables went away (dropped, a database restored): the next call creates them again.
      if (code === UNDEFINED_TABLE) this.#schema = null;
      // NOTE: data the table cannot hold is refused the same way every time: not a BackendError, which workers retry.
      if (DATA_FAULT.test(code)) throw new SerializationError(`Result backend ${this.url} refused to ${what}: ${(err as Error).message}`, { cause: err });
      return this.#fail(what)(err);
    }
  }

  #unreadable = (_taskId: string, reason: string) => this.#logger.warn(`result backend ${this.url}: ${reason}`);

  async store(meta: ResultMeta, _expiresMs: number): Promise<void> {
    let result: Buffer | null;
    try {
      result = pickleResult(meta);
    } catch (err) {
      if (!(err instanceof PickleError)) throw err;
      // NOTE: permanent, unlike a BackendError: a worker does not retry it.
      throw new SerializationError(`Cannot store the state of task ${meta.task_id}: ${err.message}`);
    }
    const tooLong = meta.task_id.length > ID_MAX ? `its id is longer than ${ID_MAX} characters` : meta.status.length > STATUS_MAX ? `the state name ${JSON.stringify(meta.status)} is longer than ${STATUS_MAX} characters` : null;
    if (tooLong) throw new SerializationError(`Cannot store the state of task ${meta.task_id} in ${this.url}: ${tooLong}, more than Celery's celery_taskmeta holds`);
    return this.#writer.write([meta.task_id, meta.status, result, meta.date_done ?? naiveUtcNow(), meta.traceback, storedName(meta)]);
  }

  async get(taskId: string): Promise<ResultMeta | null> {
    const rows = await this.#query<TaskRow>(`read the result of task ${taskId}`, `SELECT ${SELECT_COLUMNS} FROM celery_taskmeta WHERE task_id = $1`, [taskId]);
    return rows[0] ? rowToMeta(rows[0], this.#unreadable) : null;
  }

  async #readMany(taskIds: string[]): Promise<ResultMeta[]> {
    const rows = await this.#query<TaskRow>('read results', `SELECT ${SELECT_COLUMNS} FROM celery_taskmeta WHERE task_id = ANY($1)`, [taskIds]);
    return rows.map((r) => rowToMeta(r, this.#unreadable));
  }

  #decodePayload(p: Record<string, unknown>): ResultMeta | null {
    if (typeof p.status !== 'string') return null;
    const row: TaskRow = {
      task_id: String(p.task_id),
      status: p.status,
      result: typeof p.result === 'string' ? Buffer.from(p.result, 'base64') : null,
      traceback: typeof p.traceback === 'string' ? p.traceback : null,
      date_done: typeof p.date_done === 'string' ? p.date_done : null,
      name: typeof p.name === 'string' ? p.name : null,
    };
    return rowToMeta(row, this.#unreadable);
  }

  async forget(taskId: string): Promise<void> {
    await this.#query(`forget the result of task ${taskId}`, 'DELETE FROM celery_taskmeta WHERE task_id = $1', [taskId]);
  }

  async subscribe(taskId: string, listener: (meta: ResultMeta) => void): Promise<() => void> {
    try {
      await this.#ready();
      return await this.#listener.subscribe(taskId, listener);
    } catch (err) {
      return this.#fail(`listen for the result of task ${taskId}`)(err);
    }
  }

  /** Deletes the results (and group results) stored more than `olderThanMs` ago, as Celery's `backend.cleanup()`. */
  async cleanup(olderThanMs: number): Promise<number> {
    const [row] = await this.#query<{ n: string }>('clean up expired results', CLEANUP, [olderThanMs]);
    return Number(row?.n ?? 0);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await this.#writer.drain(); // what was stored before close() is written
    this.#closed = true;
    await this.#listener.close();
    await this.#schema?.catch(() => undefined);
    await this.#pool.end();
  }
}

/** What `@celeriac/core` calls for a `db+postgresql://`, `postgresql://` or `postgres://` result backend. */
export function createBackend(url: string, context: TransportContext): PostgresBackend {
  return new PostgresBackend(url, context);
}
