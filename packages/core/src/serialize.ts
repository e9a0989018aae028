// Task arguments, results and custom-state metas travel as JSON: anything JSON would drop, mangle or
// refuse is found before anything is sent or stored, and named by its path (`argument 2 (args[1]).user`,
// `result.items[2].tags`).
import { SerializationError } from './errors';

/**
 * Deepest nesting accepted. NOTE: Python's json decoder gives up near its recursion limit (1,000 frames, part of
 * them already used by the worker), so a deeper value would be stored or sent and then fail on the other side;
 * this also keeps the walk itself far from the JS stack limit.
 */
export const MAX_JSON_DEPTH = 500;

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
  if (v instanceof Error) throw new Unserializable(`an Error (JSON would turn it into {}; send its message)`);
  if (v instanceof RegExp) throw new Unserializable('a RegExp (JSON would turn it into {}; send its source)');
  if (path.length > MAX_JSON_DEPTH) throw new Unserializable(`nested deeper than ${MAX_JSON_DEPTH} levels (Python's JSON decoder cannot read it)`);
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

const SHOWN_LEVELS = 8;

function describeTail(rest: (string | number)[]): string {
  const seg = (p: string | number) => (typeof p === 'number' ? `[${p}]` : `.${p}`);
  if (rest.length <= SHOWN_LEVELS) return rest.map(seg).join('');
  return `${rest.slice(0, SHOWN_LEVELS).map(seg).join('')}…(${rest.length} levels)`;
}

function describePath(path: (string | number)[]): string {
  const [head, ...rest] = path;
  const tail = describeTail(rest);
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

/**
 * Says what in `value` JSON cannot carry, as `<label><path> is <why>` (`result.items[2].tags is a BigInt …`),
 * or null when the whole value is JSON.
 */
export function findUnserializable(value: unknown, label: string): string | null {
  // NOTE: most results are a primitive: no walk, no allocation (this runs for every task stored).
  if (typeof value !== 'object' || value === null) {
    const bad = describe(value);
    return bad ? `${label} is ${bad}` : null;
  }
  const path: (string | number)[] = [];
  try {
    walk(value, path, new Set());
    return null;
  } catch (err) {
    if (!(err instanceof Unserializable)) throw err;
    return `${label}${describeTail(path)} is ${err.why}`;
  }
}
