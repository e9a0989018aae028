// A task: a named function that runs inline when called, or on a worker through `.delay()`.
import type { AsyncResult } from './result';
import type { Signature } from './canvas';
import type { RateLimit } from './limits/rate';

/** A class of errors (for `autoretryFor`). */
export type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Per-task options. Durations are milliseconds.
 * @publicApi
 */
export interface TaskOptions {
  /** Queue this task goes to unless a call says otherwise. @default the route, else `taskDefaultQueue` */
  queue?: string;
  /** 0–9; on Redis a lower number is served first, as in Celery. @default 0 */
  priority?: number;
  /** Retries allowed (ctx.retry / autoretryFor). @default `taskMaxRetries` (3) */
  maxRetries?: number;
  /** Delay before a retry that names none. @default `taskDefaultRetryDelay` (180 000) */
  defaultRetryDelay?: number;
  /** Errors that retry the task by themselves (classes, or a predicate). @default [] */
  autoretryFor?: ErrorClass[] | ((err: unknown) => boolean);
  /** Exponential backoff for automatic retries: `true` starts at 1 000 ms, a number starts there. @default false */
  retryBackoff?: boolean | number;
  /** Longest backoff delay. @default 600 000 */
  retryBackoffMax?: number;
  /** Randomise backoff delays (full jitter). @default true */
  retryJitter?: boolean;
  /** Hard time limit: the AbortSignal fires, the task is stored as FAILURE and its slot freed. @default `taskTimeLimit` */
  timeLimit?: number;
  /**
   * Soft time limit: the AbortSignal fires with SoftTimeLimitExceeded and the task may clean up; what it then
   * returns or throws is its outcome. @default `taskSoftTimeLimit`
   */
  softTimeLimit?: number;
  /** A task whose pool child died goes back to its queue instead of FAILURE (WorkerLostError). @default `taskRejectOnWorkerLost` */
  rejectOnWorkerLost?: boolean;
  /** Store no result (nor STARTED) for this task. @default `taskIgnoreResult` (false) */
  ignoreResult?: boolean;
  /** Store STARTED when it begins. @default `taskTrackStarted` (true) */
  trackStarted?: boolean;
  /**
   * Its result and error may be shown to anyone who has the task id (status routes, `createStatusHandler`);
   * otherwise only to requests an `authorize` hook allows. State and progress are always shown. @default false
   */
  public?: boolean;
  /**
   * Celery's `rate_limit`, per worker: `'10/s'`, `'100/m'`, `'1000/h'` or a number per second, spread evenly
   * (10/s is one every 100 ms). A task over its limit waits for its slot without holding up other tasks.
   * @default none (or `taskAnnotations`)
   */
  rateLimit?: RateLimit;
  /** Like `rateLimit`, but one limit shared by every worker (through the broker; Redis or memory://). @default none */
  globalRateLimit?: RateLimit;
  /**
   * Per-key concurrency: the key of a call (a tenant id…), computed from its arguments; at most `maxPerKey`
   * calls with the same key run at once across all workers. `null`/`undefined`: no limit for that call.
   */
  concurrencyKey?: (args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>) => string | number | null | undefined;
  /** How many calls with one `concurrencyKey` run at once, across all workers. @default 1 */
  maxPerKey?: number;
}

/** What a bound task (`bind: true`) receives first: Celery's `self.request` plus `retry` and `updateState`. */
export interface TaskContext {
  readonly id: string;
  readonly name: string;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  /** How many times this task has been retried so far. */
  readonly retries: number;
  readonly rootId: string;
  readonly parentId: string | null;
  readonly groupId: string | null;
  readonly queue: string;
  /** The worker's hostname (`celeriac@host`). */
  readonly hostname: string;
  /** True when the message was given back after a worker died: the task may have run before. */
  readonly redelivered: boolean;
  /** Fires on time limit, revoke with terminate, or cold shutdown. */
  readonly signal: AbortSignal;
  /** Stops the task and sends it again later (stored as RETRY). Throws; `throw ctx.retry()` reads well. */
  retry(options?: { countdown?: number; exc?: unknown; maxRetries?: number }): never;
  /** Stores a custom state (e.g. PROGRESS with `{ current, total }`) that `result.info()` and status routes show. */
  updateState(update: { state: string; meta?: unknown }): Promise<void>;
}

/** Options of one call. Durations in ms; `eta` and `expires` may be Dates. */
export interface ApplyOptions extends Pick<TaskOptions, 'queue' | 'priority' | 'timeLimit' | 'softTimeLimit' | 'ignoreResult'> {
  /**
   * Python keyword arguments, for tasks that take them. A Node task receives a call's kwargs (from Python or
   * from here) as one trailing object argument after the positional ones, and only when there are some.
   */
  kwargs?: Record<string, unknown>;
  /** Run no sooner than this many ms from now. */
  countdown?: number;
  /** Run no sooner than this time. */
  eta?: Date | number;
  /** Not run after this: ms from now, or a time. An expired task is stored as REVOKED. */
  expires?: Date | number;
  /**
   * Use this id instead of a new UUID. While a task with this id is waiting or running (sent with a taskId or
   * dedupKey), sending it again enqueues nothing and returns the existing task's handle.
   */
  taskId?: string;
  /**
   * Deduplication key: while a task sent with this key is waiting or running (at most `dedupTtl`), another send
   * with it enqueues nothing and returns that task's handle. Racing producers get one task.
   */
  dedupKey?: string;
  /** How long a dedup key (or a taskId) holds at most, in ms; it is let go earlier when its task ends. @default `taskDedupTtl` (3 600 000) */
  dedupTtl?: number;
  /** Called with the result when the task succeeds (one or several). */
  link?: Signature | Signature[];
  /** Called with the task id when it fails. */
  linkError?: Signature | Signature[];
  /** Workflow ids (set by the worker for callbacks and retries). */
  parentId?: string;
  rootId?: string;
}

export type TaskFn<A extends unknown[], R> = (...args: A) => R | Promise<R>;
export type BoundTaskFn<A extends unknown[], R> = (ctx: TaskContext, ...args: A) => R | Promise<R>;

/** What `app.task()` returns: call it to run inline, `.delay()` to run it on a worker. */
export interface Task<A extends unknown[] = unknown[], R = unknown> {
  /** Runs the task here and now, without a broker. */
  (...args: A): Promise<R>;
  readonly taskName: string;
  readonly options: Readonly<TaskOptions>;
  /** Sends the task to a worker; resolves once the message is in the broker. */
  delay(...args: A): Promise<AsyncResult<R>>;
  /** `.delay()` with call options: countdown, eta, expires, taskId, queue, priority, link, linkError. */
  applyAsync(args: A, options?: ApplyOptions): Promise<AsyncResult<R>>;
  /** A signature of this task with these arguments (for link / linkError, chain, group, chord). */
  s(...args: Partial<A>): Signature<R>;
  /** An immutable signature: it ignores the parent's result. */
  si(...args: A): Signature<R>;
}

/**
 * A task that runs elsewhere (a Python Celery worker, another service): typed `.delay()` by name, nothing
 * registered here, so no local worker ever runs it.
 */
export interface RemoteTask<A extends unknown[] = unknown[], R = unknown> {
  readonly taskName: string;
  delay(...args: A): Promise<AsyncResult<R>>;
  applyAsync(args: A, options?: ApplyOptions): Promise<AsyncResult<R>>;
  s(...args: Partial<A>): Signature<R>;
  si(...args: A): Signature<R>;
}

/** A registered task, as the worker sees it. */
export interface TaskDefinition {
  readonly name: string;
  readonly fn: (...args: never[]) => unknown;
  readonly bind: boolean;
  readonly options: TaskOptions;
}

