/** Root of every error celeriac throws. */
export class CeleriacError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CeleriacError';
  }
}

/** A setting is unknown, malformed or inconsistent. Thrown at construction, never per message. */
export class ConfigurationError extends CeleriacError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** Task arguments cannot travel as JSON, or the message is larger than `taskMessageMaxSize`. */
/** "Expected `name` to be what, got `value` (type)": the one shape of every bad-setting and bad-option error. */
export function expected(name: string, what: string, value: unknown): ConfigurationError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new ConfigurationError(`Expected \`${name}\` to be ${what}, got \`${shown}\` (${value === null ? 'null' : typeof value})`);
}

export class SerializationError extends CeleriacError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SerializationError';
  }
}

/** A task name that no `app.task()` registered. */
export class NotRegisteredError extends CeleriacError {
  constructor(
    readonly taskName: string,
    /** Registered names close to this one. */
    readonly suggestions: readonly string[] = [],
  ) {
    const hint = suggestions.length ? ` Did you mean ${suggestions.map((n) => `"${n}"`).join(' or ')}?` : '';
    super(`Task "${taskName}" is not registered.${hint} Did you import the module that defines it (app.autodiscoverTasks)?`);
    this.name = 'NotRegisteredError';
  }
}

/** The broker or result backend cannot be reached or answered with an error. */
export class BrokerError extends CeleriacError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrokerError';
  }
}

/** The result backend cannot be reached or answered with an error (a store, a read, a subscription). */
export class BackendError extends CeleriacError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackendError';
  }
}

// NOTE: server replies that pass once the server is back in shape (auth fixed, data loaded, failover done, memory
// freed, a script finished); any other reply (ERR, WRONGTYPE, …) would come back the same every time.
const TRANSIENT_REPLIES = /\b(NOAUTH|WRONGPASS|LOADING|MASTERDOWN|READONLY|BUSY|TRYAGAIN|OOM|CLUSTERDOWN)\b/;

/**
 * Whether a failed broker or backend call may succeed if tried again: a BrokerError/BackendError whose cause chain
 * holds no server reply (the server is away), or a reply that only says "not now". Anything else (a value that
 * cannot be encoded, a message too large, a command the server refuses) fails the same way every time.
 */
export function isTransient(err: unknown): boolean {
  let ours = false;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof BrokerError || e instanceof BackendError) ours = true;
    if (e.name === 'ReplyError') return TRANSIENT_REPLIES.test(e.message);
  }
  return ours;
}

/** `result.get({ timeout })` ran out of time; the task may still finish later. */
export class TimeoutError extends CeleriacError {
  constructor(readonly taskId: string, readonly timeout: number, what: 'task' | 'group' = 'task') {
    super(`Timed out after ${timeout} ms waiting for the result of ${what} ${taskId}`);
    this.name = 'TimeoutError';
  }
}

/**
 * A task failed: what `result.get()` rejects with. Carries Celery's exception fields, so a failure
 * raised by a Python worker (`exc_type` "ValueError", `exc_module` "builtins") reads the same as one from Node.
 */
export class TaskError extends CeleriacError {
  readonly taskId: string;
  readonly excType: string;
  readonly excModule: string | null;
  readonly excMessage: unknown;
  readonly remoteTraceback: string | null;

  constructor(init: { taskId: string; excType: string; excModule?: string | null; excMessage: unknown; traceback?: string | null }) {
    super(`${init.excType}: ${formatExcMessage(init.excMessage)}`);
    this.name = 'TaskError';
    this.taskId = init.taskId;
    this.excType = init.excType;
    this.excModule = init.excModule ?? null;
    this.excMessage = init.excMessage;
    this.remoteTraceback = init.traceback ?? null;
  }
}

/** The task was revoked (or expired) before it ran. */
export class TaskRevokedError extends TaskError {
  constructor(taskId: string, reason = 'revoked') {
    super({ taskId, excType: 'TaskRevokedError', excModule: 'celery.exceptions', excMessage: [reason] });
    this.name = 'TaskRevokedError';
  }
}

/**
 * A chord's body did not run because a header task failed or was revoked (Celery's `celery.exceptions.ChordError`):
 * what `get()` on the chord rejects with. The message names the header task that failed and its error.
 */
export class ChordError extends TaskError {
  constructor(init: { taskId: string; excMessage: unknown; traceback?: string | null }) {
    super({ ...init, excType: 'ChordError', excModule: 'celery.exceptions' });
    this.name = 'ChordError';
  }
}

/** A task ran longer than its `timeLimit`; its AbortSignal fired and it was stored as FAILURE. */
export class TimeLimitExceeded extends CeleriacError {
  constructor(readonly timeLimit: number) {
    super(`Task exceeded its time limit of ${timeLimit} ms`);
    this.name = 'TimeLimitExceeded';
  }
}

/** Thrown by `ctx.retry()`: tells the worker to store RETRY and send the task again later. */
/**
 * A task ran longer than its `softTimeLimit`: its AbortSignal fired with this reason, and the task went on to
 * clean up (Celery's SoftTimeLimitExceeded). Thrown by the task (`signal.throwIfAborted()`), it is its failure.
 */
export class SoftTimeLimitExceeded extends CeleriacError {
  constructor(readonly softTimeLimit: number) {
    super(`Task exceeded its soft time limit of ${softTimeLimit} ms`);
    this.name = 'SoftTimeLimitExceeded';
  }
}

/** The pool thread or child process running the task died (process.exit, out of memory, a crash). */
export class WorkerLostError extends CeleriacError {
  constructor(detail: string) {
    super(`Worker exited prematurely: ${detail}`);
    this.name = 'WorkerLostError';
  }
}

export class Retry extends CeleriacError {
  constructor(
    readonly countdown: number,
    readonly exc: unknown,
    readonly when: number = Date.now() + countdown,
  ) {
    super(`Retry in ${countdown} ms`);
    this.name = 'Retry';
  }
}

/** `ctx.retry()` was called more than `maxRetries` times; wraps the last error. */
export class MaxRetriesExceededError extends CeleriacError {
  constructor(readonly taskName: string, readonly taskId: string, readonly maxRetries: number, options?: { cause?: unknown }) {
    super(`Can't retry ${taskName}[${taskId}]: max retries (${maxRetries}) exceeded`, options);
    this.name = 'MaxRetriesExceededError';
  }
}

/** Thrown from a task to fail it at once, never retried, even if it matches `autoretryFor`. */
export class UnrecoverableError extends CeleriacError {
  constructor(message: string) {
    super(message);
    this.name = 'UnrecoverableError';
  }
}

/** Thrown from a task to reject its message: it goes to the dead-letter list (or back to the queue with `requeue`). */
export class Reject extends CeleriacError {
  constructor(readonly reason: string, readonly requeue = false) {
    super(`Task rejected: ${reason}`);
    this.name = 'Reject';
  }
}

function formatExcMessage(m: unknown): string {
  if (Array.isArray(m)) return m.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(', ');
  if (typeof m === 'string') return m;
  return JSON.stringify(m);
}
