// AsyncResult: a handle on a task's state and return value, by id. Waiting listens to the backend's
// notifications (Redis pub/sub), it never polls in a loop.
import type { ResultBackend } from './backend/backend';
import { ChordError, TaskError, TaskRevokedError, TimeoutError } from './errors';
import { isExceptionInfo, type ResultMeta } from './protocol/result-meta';
import { States, isReady, type TaskState } from './states';
import { toStatus, type Reveal, type TaskStatus } from './status/status';
import { watchStatus, type WatchOptions } from './status/watch';
import type { GroupResult } from './group-result';
import { setLongTimeout } from './utils/timers';

/** What an AsyncResult needs from its app. */
export interface ResultHost {
  readonly backend: ResultBackend;
  revoke(taskIds: string | string[], options?: { terminate?: boolean }): Promise<void>;
}

export interface GetOptions {
  /** Milliseconds to wait; rejects with TimeoutError after. @default no limit */
  timeout?: number;
  /** Reject with the task's error when it failed (else resolve with the error info). @default true */
  propagate?: boolean;
}

/** Turns a stored FAILURE / REVOKED meta into the error `get()` rejects with. */
export function errorFromMeta(meta: ResultMeta): TaskError {
  if (meta.status === States.REVOKED) {
    const msg = isExceptionInfo(meta.result) && Array.isArray(meta.result.exc_message) ? String(meta.result.exc_message[0] ?? 'revoked') : 'revoked';
    return new TaskRevokedError(meta.task_id, msg);
  }
  const info = isExceptionInfo(meta.result) ? meta.result : { exc_type: 'Exception', exc_message: [String(meta.result)], exc_module: null };
  if (info.exc_type === 'ChordError') return new ChordError({ taskId: meta.task_id, excMessage: info.exc_message, traceback: meta.traceback });
  return new TaskError({
    taskId: meta.task_id,
    excType: info.exc_type,
    excModule: info.exc_module ?? null,
    excMessage: info.exc_message,
    traceback: meta.traceback,
  });
}

export class AsyncResult<R = unknown> {
  /** The step before this one in a chain (`chain(...).applyAsync()`), or a chord's header; null otherwise. */
  parent: AsyncResult | GroupResult | null = null;

  constructor(
    readonly id: string,
    readonly host: ResultHost,
  ) {}

  /** The stored meta, or null while PENDING (or after forget / expiry). */
  meta(): Promise<ResultMeta | null> {
    return this.host.backend.get(this.id);
  }

  async state(): Promise<TaskState> {
    return (await this.meta())?.status ?? States.PENDING;
  }

  async ready(): Promise<boolean> {
    return isReady(await this.state());
  }

  async successful(): Promise<boolean> {
    return (await this.state()) === States.SUCCESS;
  }

  async failed(): Promise<boolean> {
    return (await this.state()) === States.FAILURE;
  }

  /** The state's payload: progress meta for PROGRESS, the return value for SUCCESS, error info for FAILURE. */
  async info(): Promise<unknown> {
    return (await this.meta())?.result ?? null;
  }

  /** Resolves the return value; rejects with the task's error (TaskError) or a TimeoutError. */
  get(options: GetOptions = {}): Promise<R> {
    const { timeout, propagate = true } = options;
    return new Promise<R>((resolve, reject) => {
      let unsubscribe: (() => void) | null = null;
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const finish = (meta: ResultMeta) => {
        if (settled || !isReady(meta.status)) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe?.();
        if (meta.status === States.SUCCESS) resolve(meta.result as R);
        else if (propagate) reject(errorFromMeta(meta));
        else resolve(meta.result as R);
      };
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        unsubscribe?.();
        reject(err);
      };
      if (timeout !== undefined) timer = setLongTimeout(() => fail(new TimeoutError(this.id, timeout)), timeout);
      // NOTE: subscribe first, then read: a result stored between the two is still seen.
      this.host.backend
        .subscribe(this.id, finish)
        .then(async (unsub) => {
          unsubscribe = unsub;
          if (settled) return unsub();
          const meta = await this.meta();
          if (meta) finish(meta);
        })
        .catch(fail);
    });
  }

  /** What a browser may read: state, ready, progress, and the result or error only when revealed (see TaskStatus). */
  async status(options: { reveal?: Reveal } = {}): Promise<TaskStatus> {
    return toStatus(this.id, await this.meta(), options.reveal ?? false);
  }

  /**
   * The current status, then each change, ending once the task is ready: `for await (const s of res.watch())`.
   * Leaving the loop, or aborting `signal`, releases the subscription.
   */
  watch(options: WatchOptions = {}): AsyncGenerator<TaskStatus, void, undefined> {
    return watchStatus(this.host.backend, this.id, options);
  }

  /** Calls `listener` on every state stored from now on; returns the function that stops it. */
  subscribe(listener: (meta: ResultMeta) => void): Promise<() => void> {
    return this.host.backend.subscribe(this.id, listener);
  }

  /** Deletes the stored result. */
  forget(): Promise<void> {
    return this.host.backend.forget(this.id);
  }

  /** A task revoked before it starts never runs; with `terminate`, a running one is aborted. */
  revoke(options: { terminate?: boolean } = {}): Promise<void> {
    return this.host.revoke(this.id, options);
  }

  toJSON(): { task_id: string } {
    return { task_id: this.id };
  }
}
