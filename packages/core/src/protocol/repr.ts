// Python's repr() of JSON values, for the argsrepr / kwargsrepr headers that Celery's tools display.

const MAX = 1024;

const SPECIAL = /[\\'"\n\r\t]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function str(s: string): string {
  // The repr is cut to MAX anyway: reading more of a huge argument only costs time (seconds for 10 MB).
  const text = s.length > MAX ? s.slice(0, MAX) : s;
  if (!SPECIAL.test(text)) return `'${text}'`;
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  const body = text.replace(quote === "'" ? /[\\'\n\r\t]/g : /[\\"\n\r\t]/g, (ch) => ESCAPES[ch] ?? `\\${ch}`);
  return quote + body + quote;
}

// NOTE: loops and `+=` rather than map/join/Object.entries: this runs for every send (argsrepr, kwargsrepr) and the
// intermediate arrays were most of its cost.
function value(v: unknown, budget: { left: number }): string {
  if (budget.left <= 0) return '...';
  let out: string;
  if (v === null || v === undefined) out = 'None';
  else if (v === true) out = 'True';
  else if (v === false) out = 'False';
  else if (typeof v === 'number') out = String(v);
  else if (typeof v === 'string') out = str(v);
  else if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return value((v as { toJSON(): unknown }).toJSON(), budget); // a Date is sent as its ISO string
  else if (Array.isArray(v)) {
    out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ', ' : '') + value(v[i], budget);
    out += ']';
  } else if (typeof v === 'object') out = dict(v as Record<string, unknown>, budget);
  else out = str(String(v));
  budget.left -= out.length;
  return out;
}

function dict(o: Record<string, unknown>, budget: { left: number }): string {
  let out = '{';
  let first = true;
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    out += (first ? '' : ', ') + str(k) + ': ' + value(o[k], budget);
    first = false;
  }
  return out + '}';
}

function cut(s: string): string {
  return s.length > MAX ? `${s.slice(0, MAX - 3)}...` : s;
}

/** `(2, 3)`, `('a',)`: a Python tuple repr of the positional arguments. */
export function argsRepr(args: readonly unknown[]): string {
  const budget = { left: MAX };
  if (args.length === 1) return cut(`(${value(args[0], budget)},)`);
  let out = '(';
  for (let i = 0; i < args.length; i++) out += (i ? ', ' : '') + value(args[i], budget);
  return cut(out + ')');
}

export function kwargsRepr(kwargs: Record<string, unknown>): string {
  for (const _ in kwargs) return cut(dict(kwargs, { left: MAX }));
  return '{}';
}

/** Python's repr() of one JSON value (a task's result in a `task-succeeded` event). */
export function repr(v: unknown): string {
  return cut(value(v, { left: MAX }));
}
