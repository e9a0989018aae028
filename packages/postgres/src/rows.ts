// A ResultMeta to and from a celery_taskmeta row: the result pickled (Celery's PickleType column), date_done naive UTC.
import { READY_STATES, type ResultMeta } from '@celeriac/core';
import { pickle, PickleError, PyTuple } from './pickle';
import { unpickle } from './unpickle';

/** The columns celeriac reads (date_done as text: naive UTC, microseconds). */
export interface TaskRow {
  task_id: string;
  status: string;
  result: Buffer | null;
  traceback: string | null;
  date_done: string | null;
  name: string | null;
}

export const SELECT_COLUMNS = `task_id, status, result, traceback, to_char(date_done, 'YYYY-MM-DD"T"HH24:MI:SS.US') AS date_done, name`;

const EXCEPTION_STATES = new Set(['FAILURE', 'RETRY', 'REVOKED']);
const NAME_MAX = 155; // VARCHAR(155)

/** The result column of a meta: a stored exception's `exc_message` becomes the tuple Python keeps there. */
export function pickleResult(meta: ResultMeta): Buffer | null {
  const r = meta.result;
  if (r === null || r === undefined) return null;
  if (EXCEPTION_STATES.has(meta.status) && typeof r === 'object' && !Array.isArray(r) && 'exc_type' in r) {
    const { exc_message: msg } = r as { exc_message?: unknown };
    return pickle({ ...r, exc_message: new PyTuple(Array.isArray(msg) ? msg : [msg]) });
  }
  return pickle(r);
}

export function storedName(meta: ResultMeta): string | null {
  return meta.name ? meta.name.slice(0, NAME_MAX) : null;
}

/**
 * The meta of a row. A result this package refuses to read (see pickle.ts) never hangs a waiter: a ready state
 * reads as a FAILURE naming the reason; an intermediate state reads with a null result and `onUnreadable` is told.
 */
export function rowToMeta(row: TaskRow, onUnreadable: (taskId: string, reason: string) => void): ResultMeta {
  let result: unknown = null;
  let status = row.status;
  if (row.result) {
    try {
      result = unpickle(row.result);
    } catch (err) {
      if (!(err instanceof PickleError)) throw err;
      const reason = `the stored ${status} result of task ${row.task_id} cannot be read: ${err.message}`;
      onUnreadable(row.task_id, reason);
      if (READY_STATES.has(status)) {
        status = 'FAILURE';
        result = { exc_type: 'PickleError', exc_message: [reason], exc_module: 'celeriac' };
      }
    }
  }
  const meta: ResultMeta = {
    status,
    result,
    traceback: row.traceback,
    children: [],
    date_done: READY_STATES.has(row.status) ? row.date_done : null,
    task_id: row.task_id,
  };
  if (row.name) meta.name = row.name;
  return meta;
}
