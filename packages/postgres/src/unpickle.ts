// Celery's database backend keeps a result in a SQLAlchemy PickleType column. This module reads only the part of
// Python's pickle format (protocols 2-5) that carries JSON-like values (dict, list, tuple, str, int, float, bool, None),
// plus an allow-list of the classes Python results commonly hold (datetime.datetime/date, decimal.Decimal,
// uuid.UUID), which are read as strings. It is an interpreter of data, never of code: a global outside the
// allow-list, or any opcode that would build or call something else, is refused with a PickleError.

import { MAX_DEPTH, PickleError, PyTuple } from './pickle';

const MAX_NODES = 1_000_000;

class Mark {}
const MARK = new Mark();

/** A global from the allow-list; what REDUCE / NEWOBJ make of it. */
class Callable {
  constructor(
    readonly qualname: string,
    readonly call: ((args: unknown[]) => unknown) | null,
  ) {}
}
class Bytes {
  constructor(readonly data: Uint8Array) {}
}
class Timedelta {
  constructor(readonly seconds: number) {}
}
class Timezone {
  constructor(readonly offsetSeconds: number) {}
}
/** A uuid.UUID made by NEWOBJ, waiting for BUILD to give it its `int`. */
class PendingUuid {
  value: string | null = null;
}
type Dict = Record<string, unknown>;

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function bytesArg(what: string, v: unknown): Uint8Array {
  if (v instanceof Bytes) return v.data;
  throw new PickleError(`${what} expects its state as bytes`);
}

function offset(tz: unknown): string {
  if (tz === undefined || tz === null) return '';
  if (!(tz instanceof Timezone)) throw new PickleError('datetime.datetime with a tzinfo other than datetime.timezone is not allowed');
  const s = tz.offsetSeconds;
  if (s === 0) return '+00:00';
  const a = Math.abs(s);
  return `${s < 0 ? '-' : '+'}${pad(Math.floor(a / 3600))}:${pad(Math.floor((a % 3600) / 60))}${a % 60 ? `:${pad(a % 60)}` : ''}`;
}

function dateState(b: Uint8Array, len: number, what: string): number[] {
  if (b.length !== len) throw new PickleError(`${what} state must be ${len} bytes, got ${b.length}`);
  return [...b];
}

function intArg(v: unknown, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new PickleError(`${what} expects integers`);
}

const ALLOWED: Record<string, (args: unknown[]) => unknown> = {
  'datetime.datetime': ([state, tz, ...rest]) => {
    if (rest.length) throw new PickleError('datetime.datetime takes its state and an optional tzinfo');
    const [yhi, ylo, m, d, h, mi, s, u1, u2, u3] = dateState(bytesArg('datetime.datetime', state), 10, 'datetime.datetime');
    const us = (u1! << 16) | (u2! << 8) | u3!;
    return `${pad(yhi! * 256 + ylo!, 4)}-${pad(m! & 0x7f)}-${pad(d!)}T${pad(h!)}:${pad(mi!)}:${pad(s!)}${us ? `.${pad(us, 6)}` : ''}${offset(tz)}`;
  },
  'datetime.date': ([state, ...rest]) => {
    if (rest.length) throw new PickleError('datetime.date takes only its state');
    const [yhi, ylo, m, d] = dateState(bytesArg('datetime.date', state), 4, 'datetime.date');
    return `${pad(yhi! * 256 + ylo!, 4)}-${pad(m!)}-${pad(d!)}`;
  },
  // Only as a datetime's tzinfo: a bare timedelta or timezone is no JSON-like value (refused when the result is built).
  'datetime.timedelta': (args) => {
    const [days = 0, seconds = 0, us = 0] = args.map((a) => intArg(a, 'datetime.timedelta'));
    if (args.length > 3) throw new PickleError('datetime.timedelta takes (days, seconds, microseconds)');
    return new Timedelta(days * 86_400 + seconds + us / 1e6);
  },
  'datetime.timezone': ([delta, name]) => {
    if (!(delta instanceof Timedelta) || (name !== undefined && typeof name !== 'string')) throw new PickleError('datetime.timezone takes a timedelta (and a name)');
    return new Timezone(delta.seconds);
  },
  'decimal.Decimal': ([v, ...rest]) => {
    if (typeof v !== 'string' || rest.length) throw new PickleError('decimal.Decimal takes one string');
    return v;
  },
  // Protocol 2 writes bytes as _codecs.encode(<latin-1 text>, 'latin1'): only that, only as bytes.
  '_codecs.encode': ([text, encoding, ...rest]) => {
    if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1') || rest.length) throw new PickleError("_codecs.encode is allowed only as (text, 'latin1')");
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 255) throw new PickleError('_codecs.encode: text is not latin-1');
      out[i] = c;
    }
    return new Bytes(out);
  },
};
const UUID_NAME = 'uuid.UUID';

function uuidFromInt(n: unknown): string {
  if (typeof n !== 'bigint' && typeof n !== 'number') throw new PickleError('uuid.UUID state needs an integer `int`');
  const big = BigInt(n);
  if (big < 0n || big >= 1n << 128n) throw new PickleError('uuid.UUID `int` is out of range');
  const h = big.toString(16).padStart(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function findGlobal(module: string, name: string): Callable {
  const qualname = `${module}.${name}`;
  if (qualname === UUID_NAME) return new Callable(qualname, null);
  const call = ALLOWED[qualname];
  if (!call) throw new PickleError(`the pickle asks for ${qualname}, which is not allowed (only JSON-like values, datetime, date, Decimal and UUID are read)`);
  return new Callable(qualname, call);
}

/** Reads a dict key as JSON would write it. */
function dictKey(k: unknown): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint') return String(k);
  if (typeof k === 'boolean') return k ? 'true' : 'false';
  if (k === null) return 'null';
  throw new PickleError('a dict key is not a str, int, float, bool or None');
}

function setKey(d: Dict, key: unknown, value: unknown): void {
  // defineProperty: a key named "__proto__" stays a key, as JSON.parse keeps it.
  Object.defineProperty(d, dictKey(key), { value, enumerable: true, writable: true, configurable: true });
}

const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === null;

class Reader {
  #pos = 0;
  readonly #stack: unknown[] = [];
  readonly #marks: number[] = [];
  readonly #memo = new Map<number, unknown>();
  readonly #view: DataView;

  constructor(readonly buf: Uint8Array) {
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  #need(n: number): number {
    if (n < 0 || this.#pos + n > this.buf.length) throw new PickleError(`truncated pickle (wanted ${n} bytes at offset ${this.#pos})`);
    const at = this.#pos;
    this.#pos += n;
    return at;
  }
  #u8 = () => this.buf[this.#need(1)]!;
  #u16 = () => this.#view.getUint16(this.#need(2), true);
  #u32 = () => this.#view.getUint32(this.#need(4), true);
  #u64(): number {
    const v = this.#view.getBigUint64(this.#need(8), true);
    if (v > BigInt(this.buf.length)) throw new PickleError('truncated pickle (a length beyond its end)');
    return Number(v);
  }
  #bytes = (n: number) => this.buf.subarray(this.#need(n), this.#pos);
  #text(n: number): string {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.#bytes(n));
    } catch (err) {
      if (err instanceof PickleError) throw err;
      throw new PickleError('a string in the pickle is not valid UTF-8');
    }
  }
  #long(n: number): number | bigint {
    const b = this.#bytes(n);
    if (n === 0) return 0;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    if (b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  #push = (v: unknown) => this.#stack.push(v);
  #pop(): unknown {
    if (this.#stack.length === 0 || (this.#marks.length && this.#stack.length === this.#marks.at(-1))) throw new PickleError('stack underflow');
    const v = this.#stack.pop();
    if (v === MARK) throw new PickleError('unexpected MARK');
    return v;
  }
  #top(): unknown {
    if (this.#stack.length === 0) throw new PickleError('stack underflow');
    return this.#stack[this.#stack.length - 1];
  }
  #popMark(): unknown[] {
    const at = this.#marks.pop();
    if (at === undefined) throw new PickleError('no MARK to pop to');
    return this.#stack.splice(at);
  }
  #memoGet(i: number): unknown {
    if (!this.#memo.has(i)) throw new PickleError(`memo ${i} is not set`);
    return this.#memo.get(i);
  }
  #memoPut(i: number): void {
    this.#memo.set(i, this.#top());
  }

  #appendTo(items: unknown[]): void {
    const list = this.#top();
    if (!Array.isArray(list)) throw new PickleError('APPEND to something that is not a list');
    for (const item of items) list.push(item);
  }
  #setItems(items: unknown[]): void {
    const d = this.#top();
    if (!isDict(d)) throw new PickleError('SETITEM on something that is not a dict');
    if (items.length % 2) throw new PickleError('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) setKey(d, items[i], items[i + 1]);
  }
  #reduce(): void {
    const args = this.#pop();
    const fn = this.#pop();
    if (!(fn instanceof Callable) || !fn.call) throw new PickleError('REDUCE of something that is not an allowed callable');
    if (!(args instanceof PyTuple)) throw new PickleError(`${fn.qualname} called without a tuple of arguments`);
    this.#push(fn.call([...args.items]));
  }
  #newobj(): void {
    const args = this.#pop();
    const cls = this.#pop();
    if (!(cls instanceof Callable) || cls.qualname !== UUID_NAME || !(args instanceof PyTuple) || args.items.length) {
      throw new PickleError('NEWOBJ is allowed only as uuid.UUID()');
    }
    this.#push(new PendingUuid());
  }
  #build(): void {
    const state = this.#pop();
    const obj = this.#top();
    if (!(obj instanceof PendingUuid) || obj.value !== null || !isDict(state)) throw new PickleError('BUILD is allowed only to give a uuid.UUID its state');
    obj.value = uuidFromInt(state.int);
  }

  read(): unknown {
    for (;;) {
      const op = this.#u8();
      switch (op) {
        case 0x80: {
          const proto = this.#u8();
          if (proto < 2 || proto > 5) throw new PickleError(`pickle protocol ${proto} is not supported (2 to 5 are)`);
          break;
        }
        case 0x95: // FRAME: a length hint only
          this.#u64();
          break;
        case 0x2e: // STOP
          if (this.#stack.length !== 1 || this.#marks.length) throw new PickleError('the pickle ends with a malformed stack');
          return this.#stack[0];
        case 0x4e: this.#push(null); break; // NONE
        case 0x88: this.#push(true); break; // NEWTRUE
        case 0x89: this.#push(false); break; // NEWFALSE
        case 0x4a: this.#push(this.#view.getInt32(this.#need(4), true)); break; // BININT
        case 0x4b: this.#push(this.#u8()); break; // BININT1
        case 0x4d: this.#push(this.#u16()); break; // BININT2
        case 0x8a: this.#push(this.#long(this.#u8())); break; // LONG1
        case 0x8b: { // LONG4
          const n = this.#view.getInt32(this.#need(4), true);
          if (n < 0) throw new PickleError('LONG4 with a negative length');
          this.#push(this.#long(n));
          break;
        }
        case 0x47: this.#push(this.#view.getFloat64(this.#need(8), false)); break; // BINFLOAT
        case 0x8c: this.#push(this.#text(this.#u8())); break; // SHORT_BINUNICODE
        case 0x58: this.#push(this.#text(this.#u32())); break; // BINUNICODE
        case 0x8d: this.#push(this.#text(this.#u64())); break; // BINUNICODE8
        case 0x43: this.#push(new Bytes(this.#bytes(this.#u8()))); break; // SHORT_BINBYTES
        case 0x42: this.#push(new Bytes(this.#bytes(this.#u32()))); break; // BINBYTES
        case 0x8e: this.#push(new Bytes(this.#bytes(this.#u64()))); break; // BINBYTES8
        case 0x28: this.#marks.push(this.#stack.length); break; // MARK
        case 0x29: this.#push(new PyTuple([])); break; // EMPTY_TUPLE
        case 0x85: this.#push(new PyTuple([this.#pop()])); break; // TUPLE1
        case 0x86: { const b = this.#pop(); const a = this.#pop(); this.#push(new PyTuple([a, b])); break; } // TUPLE2
        case 0x87: { const c = this.#pop(); const b = this.#pop(); const a = this.#pop(); this.#push(new PyTuple([a, b, c])); break; } // TUPLE3
        case 0x74: this.#push(new PyTuple(this.#popMark())); break; // TUPLE
        case 0x5d: this.#push([]); break; // EMPTY_LIST
        case 0x6c: this.#push(this.#popMark()); break; // LIST
        case 0x61: { const v = this.#pop(); this.#appendTo([v]); break; } // APPEND
        case 0x65: { const items = this.#popMark(); this.#appendTo(items); break; } // APPENDS
        case 0x7d: this.#push(Object.create(null)); break; // EMPTY_DICT
        case 0x64: { const items = this.#popMark(); this.#push(Object.create(null)); this.#setItems(items); break; } // DICT
        case 0x73: { const v = this.#pop(); const k = this.#pop(); this.#setItems([k, v]); break; } // SETITEM
        case 0x75: { const items = this.#popMark(); this.#setItems(items); break; } // SETITEMS
        case 0x94: this.#memoPut(this.#memo.size); break; // MEMOIZE
        case 0x71: this.#memoPut(this.#u8()); break; // BINPUT
        case 0x72: this.#memoPut(this.#u32()); break; // LONG_BINPUT
        case 0x68: this.#push(this.#memoGet(this.#u8())); break; // BINGET
        case 0x6a: this.#push(this.#memoGet(this.#u32())); break; // LONG_BINGET
        case 0x30: this.#pop(); break; // POP
        case 0x31: this.#popMark(); break; // POP_MARK
        case 0x32: this.#push(this.#top()); break; // DUP
        case 0x63: { // GLOBAL "module\nname\n"
          const line = () => {
            const end = this.buf.indexOf(0x0a, this.#pos);
            if (end < 0) throw new PickleError('truncated GLOBAL');
            return this.#text(end - this.#pos + 1).slice(0, -1);
          };
          const module = line();
          this.#push(findGlobal(module, line()));
          break;
        }
        case 0x93: { // STACK_GLOBAL
          const name = this.#pop();
          const module = this.#pop();
          if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError('STACK_GLOBAL needs two strings');
          this.#push(findGlobal(module, name));
          break;
        }
        case 0x52: this.#reduce(); break; // REDUCE
        case 0x81: this.#newobj(); break; // NEWOBJ
        case 0x62: this.#build(); break; // BUILD
        default:
          throw new PickleError(`opcode 0x${op.toString(16).padStart(2, '0')} at offset ${this.#pos - 1} is not allowed`);
      }
    }
  }
}

/** Turns what the reader built into plain JSON values: tuples to arrays, UUIDs to strings; refuses anything else. */
function toJson(v: unknown, path: Set<unknown>, budget: { nodes: number }, depth: number): unknown {
  if (++budget.nodes > MAX_NODES) throw new PickleError(`the pickle expands to more than ${MAX_NODES} values`);
  if (depth > MAX_DEPTH) throw new PickleError(`the pickle nests deeper than ${MAX_DEPTH}`);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new PickleError('a float in the pickle is NaN or infinite, which JSON cannot hold');
    return v;
  }
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof PendingUuid) {
    if (v.value === null) throw new PickleError('a uuid.UUID without its state');
    return v.value;
  }
  const items = v instanceof PyTuple ? v.items : Array.isArray(v) ? v : isDict(v) ? null : undefined;
  if (items === undefined) {
    const what = v instanceof Bytes ? 'bytes' : v instanceof Callable ? v.qualname : v instanceof Timedelta ? 'datetime.timedelta' : v instanceof Timezone ? 'datetime.timezone' : typeof v;
    throw new PickleError(`the result holds ${what}, which is not a JSON-like value`);
  }
  if (path.has(v)) throw new PickleError('the pickle holds a container that contains itself');
  path.add(v);
  try {
    if (items) return items.map((x) => toJson(x, path, budget, depth + 1));
    const out: Dict = {};
    for (const k of Object.keys(v as Dict)) setKey(out, k, toJson((v as Dict)[k], path, budget, depth + 1));
    return out;
  } finally {
    path.delete(v);
  }
}

/** Reads a pickle of a JSON-like value (see the file header). Throws PickleError on anything else. */
export function unpickle(data: Uint8Array): unknown {
  if (data.length === 0) throw new PickleError('empty pickle');
  return toJson(new Reader(data).read(), new Set(), { nodes: 0 }, 0);
}

