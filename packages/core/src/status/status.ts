// What a browser may read about a task: its state, whether it is over, its progress, and, only when revealed,
// its result or error. Built from the stored meta; the same shape for `result.status()`, `watch()` and the routes.
import { isExceptionInfo, type ResultMeta } from '../protocol/result-meta';
import { States, isReady, type TaskState } from '../states';

/**
 * Whether `result` and `error` are shown: `false` (state and progress only), `true` (result, error type and
 * message), or `{ traceback: true }` (the error's traceback too; only for trusted readers).
 */
export type Reveal = boolean | { traceback?: boolean };

/** A failure (FAILURE), the reason of a retry (RETRY) or of a revocation (REVOKED). */
export interface TaskStatusError {
  /** The exception class name, as Celery stores it (`ValueError`, `SmtpError`, `TaskRevokedError`). */
  type: string;
  message: string;
  /** Only with `reveal: { traceback: true }`, and when one was stored. */
  traceback?: string;
}

/**
 * A task's status for a browser.
 * - `progress`: for a custom state (any state that is not one of Celery's built-in ones, e.g. PROGRESS from
 *   `ctx.updateState({ state: 'PROGRESS', meta })`), the `meta` it was stored with (`null` when none). Always
 *   shown: it is what the task chose to publish.
 * - `result`: only for SUCCESS, and only when revealed.
 * - `error`: only when revealed: FAILURE (the error), RETRY (why it retries; absent if no error was given),
 *   REVOKED (`TaskRevokedError` with `revoked`, `expired` or `terminated`).
 * PENDING, RECEIVED and STARTED carry nothing more. PENDING also means "unknown id" (Celery cannot tell them apart).
 */
export interface TaskStatus {
  task_id: string;
  state: TaskState;
  /** SUCCESS, FAILURE or REVOKED: nothing will change any more. */
  ready: boolean;
  progress?: unknown;
  result?: unknown;
  error?: TaskStatusError;
}

const BUILT_IN: ReadonlySet<string> = new Set(Object.values(States));

function errorOf(meta: ResultMeta, traceback: boolean): TaskStatusError | undefined {
  const info = meta.result;
  if (!isExceptionInfo(info)) return undefined;
  const args = info.exc_message;
  const message = Array.isArray(args) ? args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(', ') : typeof args === 'string' ? args : JSON.stringify(args);
  const error: TaskStatusError = { type: info.exc_type, message: message ?? '' };
  if (traceback && meta.traceback) error.traceback = meta.traceback;
  return error;
}

/** The status of a task from its stored meta (`null`: nothing stored, PENDING). */
export function toStatus(taskId: string, meta: ResultMeta | null, reveal: Reveal = false): TaskStatus {
  if (!meta) return { task_id: taskId, state: States.PENDING, ready: false };
  const state = meta.status;
  const status: TaskStatus = { task_id: taskId, state, ready: isReady(state) };
  if (!BUILT_IN.has(state)) {
    status.progress = meta.result ?? null;
    return status;
  }
  if (!reveal) return status;
  if (state === States.SUCCESS) status.result = meta.result;
  else if (state === States.FAILURE || state === States.RETRY || state === States.REVOKED) {
    const error = errorOf(meta, typeof reveal === 'object' && reveal.traceback === true);
    if (error) status.error = error;
  }
  return status;
}
