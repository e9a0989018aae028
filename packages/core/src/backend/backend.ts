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
}
