// Runs one task function and says what happened: success, retry, failure, rejection.
// Side effects (storing, acking, sending callbacks) belong to the caller: the worker or eager mode.
import { exponentialBackoff } from '../backoff';
import { MaxRetriesExceededError, Reject, Retry, TimeLimitExceeded, UnrecoverableError } from '../errors';
import type { TaskMessage } from '../protocol/message';
import type { Settings } from '../config';
import type { TaskContext, TaskDefinition } from '../task';

export type Outcome =
  | { kind: 'success'; value: unknown }
  | { kind: 'retry'; countdown: number; exc: unknown }
  | { kind: 'failure'; error: unknown }
  | { kind: 'reject'; reason: string; requeue: boolean }
  | { kind: 'aborted'; reason: unknown };

export interface RunRequest {
  msg: TaskMessage;
  def: TaskDefinition;
  settings: Readonly<Settings>;
  hostname: string;
  /** Aborted from outside: revoke with terminate, cold shutdown. */
  signal?: AbortSignal;
  /** Stores a custom state (ctx.updateState). */
  updateState(state: string, meta: unknown): Promise<void>;
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

function makeContext(req: RunRequest, signal: AbortSignal): TaskContext {
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
    signal,
    retry(options = {}) {
      const max = options.maxRetries ?? retryLimit(req);
      if (msg.retries >= max) {
        if (options.exc !== undefined) throw options.exc;
        throw new MaxRetriesExceededError(msg.task, msg.id, max);
      }
      const countdown = options.countdown ?? req.def.options.defaultRetryDelay ?? req.settings.taskDefaultRetryDelay;
      throw new Retry(countdown, options.exc ?? null);
    },
    updateState: ({ state, meta }) => req.updateState(state, meta ?? null),
  };
}

/** Calls the task function with its time limit; never throws. */
export async function runTask(req: RunRequest): Promise<Outcome> {
  const { msg, def } = req;
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(req.signal?.reason);
  req.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const limit = msg.timeLimit[0] ?? def.options.timeLimit ?? req.settings.taskTimeLimit;
  let timer: NodeJS.Timeout | undefined;
  try {
    const ctx = makeContext(req, controller.signal);
    const args: unknown[] = def.bind ? [ctx, ...msg.args] : [...msg.args];
    const kwargs = msg.kwargs;
    if (Object.keys(kwargs).length) args.push(kwargs);
    const running = Promise.resolve().then(() => (def.fn as (...a: unknown[]) => unknown)(...args));
    const stopped = new Promise<never>((_, reject) => {
      if (limit !== null) {
        timer = setTimeout(() => {
          const err = new TimeLimitExceeded(limit);
          controller.abort(err);
          reject(err);
        }, limit);
      }
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
    });
    stopped.catch(() => undefined);
    const value = await Promise.race([running, stopped]);
    return { kind: 'success', value: value === undefined ? null : value };
  } catch (err) {
    if (controller.signal.aborted && !(controller.signal.reason instanceof TimeLimitExceeded)) {
      return { kind: 'aborted', reason: controller.signal.reason };
    }
    return classify(req, err);
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onOuterAbort);
  }
}

function classify(req: RunRequest, err: unknown): Outcome {
  if (err instanceof Retry) return { kind: 'retry', countdown: err.countdown, exc: err.exc };
  if (err instanceof Reject) return { kind: 'reject', reason: err.reason, requeue: err.requeue };
  if (matchesAutoretry(req, err)) {
    if (req.msg.retries < retryLimit(req)) return { kind: 'retry', countdown: autoretryDelay(req), exc: err };
  }
  return { kind: 'failure', error: err };
}
