// Celery's result-backend value (`celery-task-meta-<id>`, shared/celery-wire.md §9).
import { inspect } from 'node:util';
import { toNaiveUtcIso } from './dates';

export interface ResultMeta {
  status: string;
  result: unknown;
  traceback: string | null;
  children: unknown[];
  date_done: string | null;
  task_id: string;
  group_id?: string;
  parent_id?: string;
  /** Set by celeriac on a task's last stored state: its name, for status pages. */
  name?: string;
}

/** Celery's serialised exception: Python's `get()` re-raises it as `<exc_module>.<exc_type>(*exc_message)`. */
export interface ExceptionInfo {
  exc_type: string;
  exc_message: unknown;
  exc_module?: string | null;
}

// JS error names that mean the same in Python's builtins, so Python re-raises the real class.
const PY_BUILTINS: Record<string, string> = {
  TypeError: 'TypeError',
  RangeError: 'ValueError',
  SyntaxError: 'SyntaxError',
  ReferenceError: 'NameError',
  EvalError: 'RuntimeError',
  URIError: 'ValueError',
  AggregateError: 'Exception',
  Error: 'Exception',
  ValueError: 'ValueError',
  KeyError: 'KeyError',
  RuntimeError: 'RuntimeError',
  NotImplementedError: 'NotImplementedError',
  ZeroDivisionError: 'ZeroDivisionError',
  TimeoutError: 'TimeoutError',
};

const JS_ERROR_NAMES = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError']);

export function exceptionInfo(err: unknown): ExceptionInfo {
  if (err instanceof Error) {
    // A subclass that does not set `name` inherits "Error" / "TypeError": name it by its class instead.
    const ctorName = (err.constructor as { name?: unknown } | undefined)?.name;
    const inherited = JS_ERROR_NAMES.has(err.name) && typeof ctorName === 'string' && ctorName !== '' && ctorName !== err.name;
    const name = inherited ? (ctorName as string) : (typeof err.name === 'string' && err.name) || 'Error';
    const builtin = PY_BUILTINS[name];
    if (builtin) return { exc_type: builtin, exc_message: [String(err.message)], exc_module: 'builtins' };
    // NOTE: an unknown module makes Python build a class of that name on the fly (celery.exceptions.<name>).
    return { exc_type: name, exc_message: [String(err.message)], exc_module: 'celeriac' };
  }
  return { exc_type: 'Exception', exc_message: [describeThrown(err)], exc_module: 'builtins' };
}

/**
 * The message of something thrown that is not an Error (`throw { code: 42 }`, `throw 'boom'`): its JSON when it
 * has one, so a plain object reads `{"code":42}` instead of "[object Object]".
 */
export function describeThrown(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'undefined':
      return 'undefined was thrown (not an Error)';
    case 'object':
      if (v === null) return 'null was thrown (not an Error)';
      try {
        const json = JSON.stringify(v) as string | undefined;
        if (json !== undefined && json !== '{}') return json;
      } catch {
        // a cycle or a BigInt inside: inspect() below prints those
      }
      return inspect(v, { depth: 4, breakLength: Infinity });
    case 'function':
    case 'symbol':
      return inspect(v);
    default:
      return String(v);
  }
}

export function isExceptionInfo(v: unknown): v is ExceptionInfo {
  return typeof v === 'object' && v !== null && typeof (v as ExceptionInfo).exc_type === 'string';
}

export function makeMeta(
  taskId: string,
  status: string,
  result: unknown,
  extra: { traceback?: string | null; children?: unknown[]; groupId?: string | null; parentId?: string | null; name?: string; done?: boolean } = {},
): ResultMeta {
  const meta: ResultMeta = {
    status,
    result: result === undefined ? null : result,
    traceback: extra.traceback ?? null,
    children: extra.children ?? [],
    date_done: extra.done ? toNaiveUtcIso(Date.now()) : null,
    task_id: taskId,
  };
  if (extra.groupId) meta.group_id = extra.groupId;
  if (extra.parentId) meta.parent_id = extra.parentId;
  if (extra.name) meta.name = extra.name;
  return meta;
}
