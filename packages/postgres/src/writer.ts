// Result stores gathered for one turn of the event loop and written by one statement: far fewer round trips and
// commits than an upsert each. A few batches are in flight at once, but never two states of one task: a task's next
// state waits until its last one is written, so they land in the order they were stored (a worker does not wait for
// STARTED before it stores the outcome, and a pool would otherwise reorder them).

/** One row of celery_taskmeta to upsert: task_id, status, result, date_done, traceback, name. */
export type StoreRow = [taskId: string, status: string, result: Buffer | null, dateDone: string, traceback: string | null, name: string | null];

// NOTE: a state that is not final (STARTED, RETRY, a custom one) never replaces a SUCCESS, as on Redis: a late
// write (a second delivery of a task already done) cannot take a finished task back to running.
const FINAL = "('SUCCESS', 'FAILURE', 'REVOKED')";

const BATCH_UPSERT = `INSERT INTO celery_taskmeta (id, task_id, status, result, date_done, traceback, name)
SELECT nextval('task_id_sequence'), t.task_id, t.status, t.result, t.date_done, t.traceback, t.name
FROM unnest($1::varchar[], $2::varchar[], $3::bytea[], $4::timestamp[], $5::text[], $6::varchar[]) AS t(task_id, status, result, date_done, traceback, name)
ON CONFLICT (task_id) DO UPDATE SET status = EXCLUDED.status, result = EXCLUDED.result, date_done = EXCLUDED.date_done,
  traceback = EXCLUDED.traceback, name = COALESCE(EXCLUDED.name, celery_taskmeta.name)
WHERE EXCLUDED.status IN ${FINAL} OR celery_taskmeta.status <> 'SUCCESS'`;

const MAX_BATCH = 500;
const MAX_FLIGHTS = 4;

// A server error about the data (too long, a constraint, …): only some rows are at fault, so each row is tried alone.
const ROW_FAULT = /^(22|23)/;

/** The SQLSTATE of a server error, also when wrapped (BackendError's cause). */
const sqlState = (err: unknown): string => {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  return String(e?.code ?? e?.cause?.code ?? '');
};

interface Pending {
  row: StoreRow;
  resolve(): void;
  reject(err: unknown): void;
}

export class StoreWriter {
  #queue: Pending[] = [];
  /** Tasks with a state being written. */
  readonly #writing = new Set<string>();
  #flights = 0;
  #scheduled = false;
  #idle: (() => void)[] = [];

  constructor(private readonly run: (what: string, sql: string, params: unknown[]) => Promise<unknown>) {}

  write(row: StoreRow): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ row, resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#pump();
      });
    });
  }

  /** Resolves once everything stored so far is written (or failed). */
  drain(): Promise<void> {
    if (!this.#scheduled && this.#flights === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#flights < MAX_FLIGHTS && this.#queue.length) {
      const batch: Pending[] = [];
      const rest: Pending[] = [];
      const held = new Set<string>();
      for (const p of this.#queue) {
        const id = p.row[0];
        // NOTE: once a task's state is held back, its later ones stay behind it.
        if (batch.length < MAX_BATCH && !this.#writing.has(id) && !held.has(id)) {
          batch.push(p);
          this.#writing.add(id);
        } else rest.push(p);
        held.add(id);
      }
      if (!batch.length) break;
      this.#queue = rest;
      this.#flights++;
      void this.#writeRound(batch).finally(() => {
        for (const p of batch) this.#writing.delete(p.row[0]);
        this.#flights--;
        this.#pump();
      });
    }
    if (this.#flights === 0 && this.#queue.length === 0 && !this.#scheduled) for (const r of this.#idle.splice(0)) r();
  }

  async #writeRound(round: Pending[]): Promise<void> {
    try {
      await this.#upsert(round);
      for (const p of round) p.resolve();
    } catch (err) {
      if (round.length > 1 && ROW_FAULT.test(sqlState(err))) {
        for (const p of round) await this.#writeRound([p]);
      } else for (const p of round) p.reject(err);
    }
  }

  #upsert(rows: Pending[]): Promise<unknown> {
    const cols: unknown[][] = [[], [], [], [], [], []];
    for (const { row } of rows) for (let i = 0; i < 6; i++) cols[i]!.push(row[i]);
    const what = rows.length === 1 ? `store the ${rows[0]!.row[1]} state of task ${rows[0]!.row[0]}` : `store ${rows.length} results`;
    return this.run(what, BATCH_UPSERT, cols);
  }
}
