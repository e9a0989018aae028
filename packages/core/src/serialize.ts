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

class Unserializable extends Error {
  constructor(readonly why: string) {
    super(why);
  }
}

// NOTE: the path to a bad value is only spelled out when there is one: this runs on every send.
function walk(v: unknown, path: (string | number)[], seen: Set<object>): void {
  const bad = describe(v);
  if (bad) throw new Unserializable(bad);
  if (typeof v !== 'object' || v === null) return;
  if (seen.has(v)) throw new Unserializable('a circular reference');
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return;
  if (v instanceof Map || v instanceof Set || v instanceof WeakMap || v instanceof WeakSet) {
    throw new Unserializable(`a ${v.constructor.name} (JSON would turn it into {}; send an array or object)`);
  }
  if (v instanceof Promise) throw new Unserializable('a Promise (await it first)');
  seen.add(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      walk(v[i], path, seen);
      path.pop();
    }
  } else {
    for (const k of Object.keys(v)) {
      path.push(k);
      walk((v as Record<string, unknown>)[k], path, seen);
      path.pop();
    }
  }
  seen.delete(v);
}

function describePath(path: (string | number)[]): string {
  const [head, ...rest] = path;
  const tail = rest.map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`)).join('');
  return typeof head === 'number' ? `argument ${head + 1} (args[${head}])${tail}` : `kwargs.${String(head)}${tail}`;
}

/** Throws a SerializationError naming the task and the first argument JSON cannot carry. */
export function assertSerializable(taskName: string, args: readonly unknown[], kwargs: Record<string, unknown>): void {
  const path: (string | number)[] = [];
  try {
    const seen = new Set<object>();
    for (let i = 0; i < args.length; i++) {
      path.push(i);
      walk(args[i], path, seen);
      path.pop();
    }
    for (const k of Object.keys(kwargs)) {
      path.push(k);
      walk(kwargs[k], path, seen);
      path.pop();
    }
  } catch (err) {
    if (!(err instanceof Unserializable)) throw err;
    throw new SerializationError(`Cannot send task "${taskName}": ${describePath(path)} is ${err.why}; task arguments must be JSON. Nothing was sent.`);
  }
}
