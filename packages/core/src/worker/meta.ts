// The result metas a worker stores, in Celery's shape.
import { exceptionInfo, type ResultMeta } from '../protocol/result-meta';
import type { TaskMessage } from '../protocol/message';
import { States } from '../states';
import { toNaiveUtcIso } from '../protocol/dates';
import { SerializationError, SoftTimeLimitExceeded, TimeLimitExceeded, WorkerLostError } from '../errors';
import { findUnserializable } from '../serialize';

/** protocol's makeMeta for a message, without an options object: every task stores two of these (STARTED, SUCCESS). */
function metaOf(msg: TaskMessage, status: string, result: unknown, traceback: string | null, children: unknown[], done: boolean): ResultMeta {
  const meta: ResultMeta = {
    status,
    result: result === undefined ? null : result,
    traceback,
    children,
    date_done: done ? toNaiveUtcIso(Date.now()) : null,
    task_id: msg.id,
  };
  if (msg.group) meta.group_id = msg.group;
  if (msg.parentId) meta.parent_id = msg.parentId;
  if (msg.task) meta.name = msg.task;
  return meta;
}

export function traceback(err: unknown): string | null {
  return err instanceof Error && err.stack ? err.stack : null;
}

export function failureInfo(err: unknown) {
  if (err instanceof TimeLimitExceeded) {
    return { exc_type: 'TimeLimitExceeded', exc_message: [err.message], exc_module: 'celery.exceptions' };
  }
  if (err instanceof SoftTimeLimitExceeded) return { exc_type: 'SoftTimeLimitExceeded', exc_message: [err.message], exc_module: 'celery.exceptions' };
  if (err instanceof WorkerLostError) return { exc_type: 'WorkerLostError', exc_message: [err.message], exc_module: 'billiard.exceptions' };
  // NOTE: what Celery stores when kombu cannot encode a result or a message, so Python's get() raises EncodeError.
  if (err instanceof SerializationError) return { exc_type: 'EncodeError', exc_message: [err.message], exc_module: 'kombu.exceptions' };
  return exceptionInfo(err);
}

export const metas = {
  started: (msg: TaskMessage, hostname: string): ResultMeta => metaOf(msg, States.STARTED, { pid: process.pid, hostname }, null, [], false),
  success: (msg: TaskMessage, value: unknown, children: unknown[] = []): ResultMeta => metaOf(msg, States.SUCCESS, value, null, children, true),
  failure: (msg: TaskMessage, err: unknown): ResultMeta => metaOf(msg, States.FAILURE, failureInfo(err), traceback(err), [], true),
  retry: (msg: TaskMessage, exc: unknown): ResultMeta =>
    metaOf(msg, States.RETRY, exc === null || exc === undefined ? null : failureInfo(exc), traceback(exc), [[[msg.id, null], null]], false),
  revoked: (msg: TaskMessage, reason: string): ResultMeta =>
    metaOf(msg, States.REVOKED, { exc_type: 'TaskRevokedError', exc_message: [reason], exc_module: 'celery.exceptions' }, null, [], true),
  /** Celery's `NotRegistered(name)`: Python's get() raises celery.exceptions.NotRegistered. */
  notRegistered: (msg: TaskMessage): ResultMeta =>
    metaOf(msg, States.FAILURE, { exc_type: 'NotRegistered', exc_message: [msg.task], exc_module: 'celery.exceptions' }, null, [], true),
  custom: (msg: TaskMessage, state: string, meta: unknown): ResultMeta => metaOf(msg, state, meta, null, [], false),
};

/**
 * The error to store instead of a result JSON cannot carry (a BigInt, a cycle, a Map…), naming where it is;
 * null when the result can be stored. Celery stores such a task as FAILURE with kombu's EncodeError.
 */
export function unstorableResult(msg: Pick<TaskMessage, 'id' | 'task'>, value: unknown): SerializationError | null {
  const bad = findUnserializable(value, 'result');
  return bad ? new SerializationError(`Cannot store the result of task "${msg.task}" [${msg.id}]: ${bad}; a task's result must be JSON.`) : null;
}
