// Runs one task function and says what happened: success, retry, failure, rejection.
// Side effects (storing, acking, sending callbacks) belong to the caller: the worker or eager mode.
import { exponentialBackoff } from '../backoff';
import { MaxRetriesExceededError, Reject, Retry, SerializationError, SoftTimeLimitExceeded, TimeLimitExceeded, UnrecoverableError } from '../errors';
import { findUnserializable } from '../serialize';
import type { TaskMessage } from '../protocol/message';
import type { Settings } from '../config';
import type { TaskContext, TaskDefinition } from '../task';
import { setLongTimeout } from '../utils/timers';

export type Outcome =
  | { kind: 'success'; value: unknown }
  | { kind: 'retry'; countdown: number; exc: unknown }
  | { kind: 'failure'; error: unknown }
  | { kind: 'reject'; reason: string; requeue: boolean }
  | { kind: 'aborted'; reason: unknown };

/**
 * Stops a running task from outside (time limit, revoke with terminate, cold shutdown). The AbortSignal a
 * bound task sees is only made when it is asked for: most tasks never need one, and it is costly per task.
 */
export class Cancellation {
  #controller: AbortController | null = null;
  #listener: ((reason: unknown) => void) | null = null;
  cancelled = false;
  reason: unknown = undefined;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.cancelled) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  cancel(reason: unknown): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.reason = reason;
    this.#controller?.abort(reason);
    this.#listener?.(reason);
  }

  /** Fires the AbortSignal only (a soft time limit): the task is told, and its outcome is still its own. */
  warn(reason: unknown): void {
    if (this.cancelled) return;
    this.reason = reason;
    if (!this.#controller) this.#controller = new AbortController();
    this.#controller.abort(reason);
  }

  onCancel(listener: (reason: unknown) => void): void {
    this.#listener = listener;
    if (this.cancelled) listener(this.reason);
  }
}

export interface RunRequest {
  msg: TaskMessage;
  def: TaskDefinition;
  settings: Readonly<Settings>;
  hostname: string;
  /** Cancelled from outside: revoke with terminate, cold shutdown. */
  cancellation?: Cancellation;
  /** Stores a custom state (ctx.updateState). */
  updateState(state: string, meta: unknown): Promise<void>;
  /** Whether this call enforces the hard time limit itself (not when a pool kills the thread/child instead). @default true */
  hardLimit?: boolean;
}

/** What a pool is told about a call it runs on its own event loop (main.ts). */
export interface RunObserver {
  /** How long the task function ran before it returned (its synchronous part), in ms. */
  sync(req: RunRequest, ms: number): void;
  /** The call has an outcome (before the returned promise resolves). */
  ended(req: RunRequest): void;
}

/** The hard time limit of a call (ms, or null): the message's, else the task's, else the app's. */
export function hardTimeLimit(msg: TaskMessage, def: TaskDefinition, settings: Readonly<Settings>): number | null {
  return msg.timeLimit[0] ?? def.options.timeLimit ?? settings.taskTimeLimit;
}

/** The soft time limit of a call, found in the same order. */
function softTimeLimit(msg: TaskMessage, def: TaskDefinition, settings: Readonly<Settings>): number | null {
  return msg.timeLimit[1] ?? def.options.softTimeLimit ?? settings.taskSoftTimeLimit;
}

function retryLimit(req: RunRequest): number {
  return req.def.options.maxRetries ?? req.settings.taskMaxRetries;
}

function matchesAutoretry(req: RunRequest, err: unknown): boolean {
  const a = req.def.options.autoretryFor;
  if (!a || err instanceof UnrecoverableError) return false;
  if (typeof a === 'function' && !Array.isArray(a)) {
    try {
      return a(err);
    } catch {
      return false;
    }
  }
  return (a as (abstract new (...args: never[]) => Error)[]).some((cls) => err instanceof cls);
}

function autoretryDelay(req: RunRequest): number {
  const { retryBackoff, retryBackoffMax = 600_000, retryJitter = true, defaultRetryDelay } = req.def.options;
  if (retryBackoff) {
    const base = retryBackoff === true ? 1_000 : retryBackoff;
    return exponentialBackoff(base, req.msg.retries, retryBackoffMax, retryJitter);
  }
  return defaultRetryDelay ?? req.settings.taskDefaultRetryDelay;
}

function makeContext(req: RunRequest, cancellation: Cancellation): TaskContext {
  const { msg } = req;
  return {
    id: msg.id,
    name: msg.task,
    args: msg.args,
    kwargs: msg.kwargs,
    retries: msg.retries,
    rootId: msg.rootId,
    parentId: msg.parentId,
    groupId: msg.group,
    queue: msg.queue,
    hostname: req.hostname,
    redelivered: msg.redelivered,
    get signal() {
      return cancellation.signal;
    },
    retry(options = {}) {
      const max = options.maxRetries ?? retryLimit(req);
      if (msg.retries >= max) {
        if (options.exc !== undefined) throw options.exc;
        throw new MaxRetriesExceededError(msg.task, msg.id, max);
      }
      const countdown = options.countdown ?? req.def.options.defaultRetryDelay ?? req.settings.taskDefaultRetryDelay;
      throw new Retry(countdown, options.exc ?? null);
    },
    updateState: ({ state, meta }) => {
      // NOTE: refused here, so the task can catch it: a backend write would otherwise fail or turn it into {}.
      const bad = findUnserializable(meta ?? null, 'meta');
      if (bad) return Promise.reject(new SerializationError(`Cannot store state ${String(state)} of task "${msg.task}" [${msg.id}]: ${bad}; a state's meta must be JSON.`));
      return req.updateState(state, meta ?? null);
    },
  };
}

function hasKeys(o: Record<string, unknown>): boolean {
  for (const _ in o) return true;
  return false;
}

/** Calls the task function with its time limit; never rejects. */
export function runTask(req: RunRequest, observer?: RunObserver): Promise<Outcome> {
  const { msg, def } = req;
  const cancellation = req.cancellation ?? new Cancellation();
  const hard = hardTimeLimit(msg, def, req.settings);
  const soft = softTimeLimit(msg, def, req.settings);
  const limit = req.hardLimit === false ? null : hard;
  // NOTE: one promise per task, settled by whichever comes first: the function, its time limit, or a cancel.
  return new Promise<Outcome>((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let softTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (softTimer) clearTimeout(softTimer);
      observer?.ended(req);
      resolve(outcome);
    };
    const failed = (err: unknown) => {
      if (cancellation.cancelled && !(cancellation.reason instanceof TimeLimitExceeded)) {
        finish({ kind: 'aborted', reason: cancellation.reason });
      } else finish(classify(req, err));
    };
    cancellation.onCancel(failed);
    if (limit !== null) timer = setLongTimeout(() => cancellation.cancel(new TimeLimitExceeded(limit)), limit);
    if (soft !== null && (limit === null || soft < limit)) softTimer = setLongTimeout(() => cancellation.warn(new SoftTimeLimitExceeded(soft)), soft);
    try {
      // NOTE: the message's own args array is passed when nothing is added to it (one array less per task).
      const kwargs = hasKeys(msg.kwargs);
      let args = msg.args;
      if (def.bind || kwargs) {
        args = def.bind ? [makeContext(req, cancellation), ...msg.args] : [...msg.args];
        if (kwargs) args.push(msg.kwargs);
      }
      const t0 = observer ? performance.now() : 0;
      let value: unknown;
      try {
        value = Reflect.apply(def.fn, undefined, args);
      } finally {
        observer?.sync(req, performance.now() - t0);
      }
      if (value !== null && typeof value === 'object' && typeof (value as PromiseLike<unknown>).then === 'function') {
        (value as PromiseLike<unknown>).then((v) => finish({ kind: 'success', value: v === undefined ? null : v }), failed);
      } else {
        finish({ kind: 'success', value: value === undefined ? null : value });
      }
    } catch (err) {
      failed(err);
    }
  });
}

function classify(req: RunRequest, err: unknown): Outcome {
  if (err instanceof Retry) return { kind: 'retry', countdown: err.countdown, exc: err.exc };
  if (err instanceof Reject) return { kind: 'reject', reason: err.reason, requeue: err.requeue };
  if (matchesAutoretry(req, err)) {
    if (req.msg.retries < retryLimit(req)) return { kind: 'retry', countdown: autoretryDelay(req), exc: err };
  }
  return { kind: 'failure', error: err };
}
