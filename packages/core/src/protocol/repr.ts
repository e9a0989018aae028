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

function value(v: unknown, budget: { left: number }): string {
  if (budget.left <= 0) return '...';
  let out: string;
  if (v === null || v === undefined) out = 'None';
  else if (v === true) out = 'True';
  else if (v === false) out = 'False';
  else if (typeof v === 'number') out = Number.isInteger(v) ? String(v) : String(v);
  else if (typeof v === 'string') out = str(v);
  else if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return value((v as { toJSON(): unknown }).toJSON(), budget); // a Date is sent as its ISO string
  else if (Array.isArray(v)) out = `[${v.map((x) => value(x, budget)).join(', ')}]`;
  else if (typeof v === 'object') out = dict(v as Record<string, unknown>, budget);
  else out = str(String(v));
  budget.left -= out.length;
  return out;
}

function dict(o: Record<string, unknown>, budget: { left: number }): string {
  return `{${Object.entries(o)
    .map(([k, x]) => `${str(k)}: ${value(x, budget)}`)
    .join(', ')}}`;
}

function cut(s: string): string {
  return s.length > MAX ? `${s.slice(0, MAX - 3)}...` : s;
}

/** `(2, 3)`, `('a',)`: a Python tuple repr of the positional arguments. */
export function argsRepr(args: readonly unknown[]): string {
  const budget = { left: MAX };
  const items = args.map((a) => value(a, budget));
  return cut(items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`);
}

export function kwargsRepr(kwargs: Record<string, unknown>): string {
  return cut(dict(kwargs, { left: MAX }));
}
