// The result metas a worker stores, in Celery's shape.
import { exceptionInfo, makeMeta, type ResultMeta } from '../protocol/result-meta';
import type { TaskMessage } from '../protocol/message';
import { States } from '../states';
import { SerializationError, SoftTimeLimitExceeded, TimeLimitExceeded, WorkerLostError } from '../errors';
import { findUnserializable } from '../serialize';

const common = (msg: TaskMessage) => ({ groupId: msg.group, parentId: msg.parentId, name: msg.task });

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
  started: (msg: TaskMessage, hostname: string): ResultMeta =>
    makeMeta(msg.id, States.STARTED, { pid: process.pid, hostname }, common(msg)),
  success: (msg: TaskMessage, value: unknown, children: unknown[] = []): ResultMeta =>
    makeMeta(msg.id, States.SUCCESS, value, { ...common(msg), children, done: true }),
  failure: (msg: TaskMessage, err: unknown): ResultMeta =>
    makeMeta(msg.id, States.FAILURE, failureInfo(err), { ...common(msg), traceback: traceback(err), done: true }),
  retry: (msg: TaskMessage, exc: unknown): ResultMeta =>
    makeMeta(msg.id, States.RETRY, exc === null || exc === undefined ? null : failureInfo(exc), {
      ...common(msg),
      traceback: traceback(exc),
      children: [[[msg.id, null], null]],
    }),
  revoked: (msg: TaskMessage, reason: string): ResultMeta =>
    makeMeta(msg.id, States.REVOKED, { exc_type: 'TaskRevokedError', exc_message: [reason], exc_module: 'celery.exceptions' }, { ...common(msg), done: true }),
  /** Celery's `NotRegistered(name)`: Python's get() raises celery.exceptions.NotRegistered. */
  notRegistered: (msg: TaskMessage): ResultMeta =>
    makeMeta(msg.id, States.FAILURE, { exc_type: 'NotRegistered', exc_message: [msg.task], exc_module: 'celery.exceptions' }, { ...common(msg), done: true }),
  custom: (msg: TaskMessage, state: string, meta: unknown): ResultMeta => makeMeta(msg.id, state, meta, common(msg)),
};

/**
 * The error to store instead of a result JSON cannot carry (a BigInt, a cycle, a Map…), naming where it is;
 * null when the result can be stored. Celery stores such a task as FAILURE with kombu's EncodeError.
 */
export function unstorableResult(msg: Pick<TaskMessage, 'id' | 'task'>, value: unknown): SerializationError | null {
  const bad = findUnserializable(value, 'result');
  return bad ? new SerializationError(`Cannot store the result of task "${msg.task}" [${msg.id}]: ${bad}; a task's result must be JSON.`) : null;
}
