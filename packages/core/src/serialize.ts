// Task arguments travel as JSON: anything JSON would drop or mangle is refused at `.delay()`, naming
// the task and the argument, before anything is sent.
import { SerializationError } from './errors';

function describe(v: unknown): string | null {
  switch (typeof v) {
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    case 'bigint':
      return 'a BigInt (send it as a string)';
    case 'number':
      return Number.isFinite(v) ? null : `${v} (JSON has no NaN or Infinity)`;
    default:
      return null;
  }
}

function walk(v: unknown, path: string, seen: Set<object>, fail: (path: string, why: string) => never): void {
  const bad = describe(v);
  if (bad) fail(path, bad);
  if (typeof v !== 'object' || v === null) return;
  if (seen.has(v)) fail(path, 'a circular reference');
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return;
  if (v instanceof Map || v instanceof Set || v instanceof WeakMap || v instanceof WeakSet) {
    fail(path, `a ${v.constructor.name} (JSON would turn it into {}; send an array or object)`);
  }
  if (v instanceof Promise) fail(path, 'a Promise (await it first)');
  seen.add(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) walk(v[i], `${path}[${i}]`, seen, fail);
  } else {
    for (const k of Object.keys(v)) walk((v as Record<string, unknown>)[k], `${path}.${k}`, seen, fail);
  }
  seen.delete(v);
}

/** Throws a SerializationError naming the task and the first argument JSON cannot carry. */
export function assertSerializable(taskName: string, args: readonly unknown[], kwargs: Record<string, unknown>): void {
  const fail = (path: string, why: string): never => {
    throw new SerializationError(`Cannot send task "${taskName}": ${path} is ${why}; task arguments must be JSON. Nothing was sent.`);
  };
  const seen = new Set<object>();
  for (let i = 0; i < args.length; i++) walk(args[i], `argument ${i + 1} (args[${i}])`, seen, fail);
  for (const k of Object.keys(kwargs)) walk(kwargs[k], `kwargs.${k}`, seen, fail);
}
