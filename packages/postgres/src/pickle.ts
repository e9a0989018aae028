// Writes Python pickles (protocol 5) of JSON-like values, byte for byte as CPython's pickler does for them: what
// Celery's database backend keeps in its PickleType `result` column. Reading is unpickle.ts.

/** A pickle the reader refuses (garbage, truncated, or asking for a class or call it does not allow), or a value the writer cannot pickle. */
export class PickleError extends Error {
  override name = 'PickleError';
}

/** A Python tuple to write (`exc_message` of a stored exception is one); read tuples come back as arrays. */
export class PyTuple {
  constructor(readonly items: readonly unknown[]) {}
}

/** The deepest nesting either direction handles (deeper is refused, never a stack overflow). */
export const MAX_DEPTH = 1_000;

const BATCH = 1000; // Python batches APPENDS / SETITEMS by this many

class Writer {
  #buf = Buffer.allocUnsafe(256);
  #len = 0;
  #depth = 0;

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#len + n));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }
  op(...bytes: number[]): void {
    this.#room(bytes.length);
    for (const b of bytes) this.#buf[this.#len++] = b;
  }
  raw(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }
  le(n: number, width: number): void {
    this.#room(width);
    for (let i = 0; i < width; i++) this.#buf[this.#len++] = Number((BigInt(n) >> BigInt(8 * i)) & 0xffn);
  }
  get body(): Buffer {
    return this.#buf.subarray(0, this.#len);
  }

  int(n: bigint): void {
    if (n >= 0n && n <= 0xffn) return this.op(0x4b, Number(n));
    if (n >= 0n && n <= 0xffffn) return this.op(0x4d, Number(n & 0xffn), Number(n >> 8n));
    if (n >= -(1n << 31n) && n < 1n << 31n) {
      this.op(0x4a);
      return this.le(Number(BigInt.asUintN(32, n)), 4);
    }
    const bytes: number[] = [];
    let x = n;
    // minimal two's complement, little-endian, as Python's encode_long
    for (;;) {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
      const last = bytes[bytes.length - 1]!;
      if ((x === 0n && !(last & 0x80)) || (x === -1n && last & 0x80)) break;
    }
    this.op(0x8a, bytes.length, ...bytes);
  }

  value(v: unknown): void {
    if (++this.#depth > MAX_DEPTH) throw new PickleError(`a result nested deeper than ${MAX_DEPTH} cannot be pickled`);
    try {
      this.#value(v);
    } finally {
      this.#depth--;
    }
  }

  #value(v: unknown): void {
    if (v === null || v === undefined) return this.op(0x4e);
    if (v === true) return this.op(0x88);
    if (v === false) return this.op(0x89);
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new PickleError(`${v} is not a JSON value`);
      if (Number.isInteger(v)) return this.int(BigInt(v));
      this.op(0x47);
      const b = new DataView(new ArrayBuffer(8));
      b.setFloat64(0, v, false);
      return this.raw(new Uint8Array(b.buffer));
    }
    if (typeof v === 'string') {
      const b = Buffer.from(v, 'utf8');
      if (b.length < 256) this.op(0x8c, b.length);
      else {
        this.op(0x58);
        this.le(b.length, 4);
      }
      this.raw(b);
      return this.op(0x94);
    }
    if (v instanceof PyTuple) return this.#tuple(v.items);
    if (Array.isArray(v)) {
      this.op(0x5d, 0x94);
      return this.#batched(v.length, (i) => this.value(v[i]), 0x61, 0x65, false);
    }
    if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>);
      this.op(0x7d, 0x94);
      return this.#batched(entries.length, (i) => (this.value(entries[i]![0]), this.value(entries[i]![1])), 0x73, 0x75, true);
    }
    throw new PickleError(`a ${typeof v} is not a JSON value`);
  }

  #tuple(items: readonly unknown[]): void {
    if (items.length === 0) return this.op(0x29);
    if (items.length <= 3) {
      for (const x of items) this.value(x);
      return this.op(0x84 + items.length, 0x94);
    }
    this.op(0x28);
    for (const x of items) this.value(x);
    this.op(0x74, 0x94);
  }

  /**
   * Items as CPython's pickler batches them: one item alone with `one`; otherwise MARK … `many` per 1,000 items,
   * and for dicts (`emptyTail`) one more, empty, batch after a full one.
   */
  #batched(n: number, item: (i: number) => void, one: number, many: number, emptyTail: boolean): void {
    if (n === 0) return;
    if (n === 1) {
      item(0);
      return this.op(one);
    }
    let i = 0;
    let inBatch: number;
    do {
      this.op(0x28);
      for (inBatch = 0; i < n && inBatch < BATCH; inBatch++) item(i++);
      this.op(many);
    } while (emptyTail ? inBatch === BATCH : i < n);
  }
}

/** Pickles a JSON-like value (PyTuple for tuples) as Python's `pickle.dumps(v, 5)` does for such values. */
export function pickle(value: unknown): Buffer {
  const w = new Writer();
  w.value(value);
  w.op(0x2e);
  const body = w.body;
  const head = new Writer();
  head.op(0x80, 5);
  if (body.length >= 4) {
    head.op(0x95);
    head.le(body.length, 8);
  }
  return Buffer.concat([head.body, body]);
}
