// What crosses between the worker and its pool threads/children: task runs, their outcomes, progress states.
// Values are structured-cloned (JSON values, as the protocol allows); errors travel as name, message and stack,
// and come back as errors of the same name (celeriac's own classes rebuilt), so stored failures read the same
// as on the main pool.
import { SerializationError, SoftTimeLimitExceeded, TimeLimitExceeded } from '../../errors';
import type { Settings } from '../../config';
import type { TaskMessage } from '../../protocol/message';
import type { TaskDefinition } from '../../task';
import type { Outcome } from '../trace';

/**
 * What a pool member needs from the app its module gives (the module's app, or what its `celeriacChild()`
 * returns): the registered tasks and the settings; `close()` is called when the member leaves.
 */
export interface ChildApp {
  readonly registry: { get(name: string): TaskDefinition | undefined };
  readonly settings: Readonly<Settings>;
  close?(): Promise<void>;
}

/** The settings a child's run needs from the worker (the rest come from the child's own app). */
export interface ChildSettings {
  taskMaxRetries: number;
  taskDefaultRetryDelay: number;
  taskSoftTimeLimit: number | null;
}

/** What the child loads: the module, and the worker's broker and backend (the CLI may have overridden them). */
export interface ChildSpec {
  module: string;
  cwd: string;
  brokerUrl: string;
  resultBackend: string | null;
}

export type ToChild =
  | { t: 'init'; spec: ChildSpec }
  | { t: 'run'; id: number; msg: TaskMessage; hostname: string; settings: ChildSettings }
  | { t: 'cancel'; id: number }
  | { t: 'state-done'; seq: number; error: WireError | null }
  | { t: 'exit' };

export type FromChild =
  | { t: 'ready'; pid: number; threadId: number }
  | { t: 'load-failed'; error: string }
  | { t: 'done'; id: number; outcome: WireOutcome; memory: number }
  | { t: 'state'; id: number; seq: number; state: string; meta: unknown };

export interface WireError {
  readonly $error: true;
  name: string;
  message: string;
  stack: string | undefined;
}

export type WireOutcome =
  | { kind: 'success'; value: unknown }
  | { kind: 'retry'; countdown: number; exc: unknown }
  | { kind: 'failure'; error: unknown }
  | { kind: 'reject'; reason: string; requeue: boolean }
  | { kind: 'aborted'; reason: unknown };

const BUILTIN_ERRORS: Record<string, new (message?: string) => Error> = {
  Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
};

function isWireError(v: unknown): v is WireError {
  return typeof v === 'object' && v !== null && (v as WireError).$error === true;
}

export function encodeError(v: unknown): unknown {
  if (!(v instanceof Error)) return v;
  // NOTE: named as a stored failure names it: a subclass that kept "Error" is known by its class.
  const ctor = (v.constructor as { name?: unknown } | undefined)?.name;
  const name = BUILTIN_ERRORS[v.name] && typeof ctor === 'string' && ctor && ctor !== v.name ? ctor : v.name || 'Error';
  return { $error: true, name, message: String(v.message), stack: v.stack } satisfies WireError;
}

export function decodeError(v: unknown): unknown {
  if (!isWireError(v)) return v;
  let err: Error;
  const m = /(\d+) ms$/.exec(v.message);
  if (v.name === 'TimeLimitExceeded' && m) err = new TimeLimitExceeded(Number(m[1]));
  else if (v.name === 'SoftTimeLimitExceeded' && m) err = new SoftTimeLimitExceeded(Number(m[1]));
  else if (v.name === 'SerializationError') err = new SerializationError(v.message);
  else {
    const Builtin = BUILTIN_ERRORS[v.name];
    err = Builtin ? new Builtin(v.message) : new Error(v.message);
    if (!Builtin) err.name = v.name;
  }
  if (v.stack !== undefined) err.stack = v.stack;
  return err;
}

export function encodeOutcome(o: Outcome): WireOutcome {
  switch (o.kind) {
    case 'retry':
      return { kind: 'retry', countdown: o.countdown, exc: encodeError(o.exc) };
    case 'failure':
      return { kind: 'failure', error: encodeError(o.error) };
    case 'aborted':
      return { kind: 'aborted', reason: encodeError(o.reason) };
    default:
      return o;
  }
}

export function decodeOutcome(o: WireOutcome): Outcome {
  switch (o.kind) {
    case 'retry':
      return { kind: 'retry', countdown: o.countdown, exc: decodeError(o.exc) };
    case 'failure':
      return { kind: 'failure', error: decodeError(o.error) };
    case 'aborted':
      return { kind: 'aborted', reason: decodeError(o.reason) };
    default:
      return o;
  }
}
