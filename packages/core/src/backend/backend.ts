// The result backend port: Celery's key-value result store, plus change notification.
import type { ResultMeta } from '../protocol/result-meta';

export interface ResultBackend {
  readonly url: string;
  /** Stores a state and tells anyone waiting on it. */
  store(meta: ResultMeta, expiresMs: number): Promise<void>;
  get(taskId: string): Promise<ResultMeta | null>;
  forget(taskId: string): Promise<void>;
  /** Calls `listener` with every state stored for the task from now on. Resolves once listening. */
  subscribe(taskId: string, listener: (meta: ResultMeta) => void): Promise<() => void>;
  close(): Promise<void>;
  /**
   * For stores that do not expire entries themselves (a database): deletes the results stored more than
   * `olderThanMs` ago and resolves how many went (Celery's `backend.cleanup()`). Workers call it periodically.
   */
  cleanup?(olderThanMs: number): Promise<number>;
}

/**
 * Calls a result listener. An exception it throws is the listener's own bug: it is reported as a process warning
 * (code CELERIAC_LISTENER_ERROR) instead of failing the store that triggered it or starving the other listeners.
 */
export function notify(listener: (meta: ResultMeta) => void, meta: ResultMeta): void {
  try {
    listener(meta);
  } catch (err) {
    const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.emitWarning(`A result listener of task ${meta.task_id} threw: ${detail}`, { code: 'CELERIAC_LISTENER_ERROR' });
  }
}
