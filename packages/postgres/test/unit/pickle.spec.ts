// The restricted pickle reader/writer: byte-equal to Python for JSON-like values, the allow-listed classes read as
// strings, and garbage or hostile pickles refused with a PickleError — never executed, never a crash or a hang.
import { randomBytes } from 'node:crypto';
import { pickle, PickleError, PyTuple } from '../../src/pickle';
import { unpickle } from '../../src/unpickle';

const hex = (h: string) => Buffer.from(h, 'hex');

// Captured with Python 3.11 `pickle.dumps(value, 5)` (and protocols 2 and 3 where named).
const PY = {
  sum: '8005950c000000000000007d948c0373756d944b05732e', // {'sum': 5}, as Celery 5.2 stored it
  failure:
    '8005954e000000000000007d94288c086578635f74797065948c0a56616c75654572726f72948c0b6578635f6d657373616765948c04626f6f6d944b0286948c0a6578635f6d6f64756c65948c086275696c74696e7394752e',
  datetime: '8005952a000000000000008c086461746574696d65948c086461746574696d65949394430a07ea01020304050a5bf594859452942e',
  date: '80059520000000000000008c086461746574696d65948c0464617465949394430407ea010294859452942e',
  decimal: '80059522000000000000008c07646563696d616c948c07446563696d616c9493948c04312e353094859452942e',
  uuid: '80059530000000000000008c0475756964948c04555549449493942981947d948c03696e74948a107856341278563412785634127856341273622e',
  utc: '80059557000000000000008c086461746574696d65948c086461746574696d65949394430a07ea01020304050000009468008c0874696d657a6f6e6594939468008c0974696d6564656c74619493944b004b004b008794529485945294869452942e',
  minus530:
    '8005955d000000000000008c086461746574696d65948c086461746574696d65949394430a07ea01020304050000009468008c0874696d657a6f6e6594939468008c0974696d6564656c74619493944affffffff4a280401004b008794529485945294869452942e',
  mixed:
    '800595b2000000000000007d94288c047768656e948c086461746574696d65948c086461746574696d65949394430a07ea010203040500000094859452948c03696473945d94288c0475756964948c04555549449493942981947d948c03696e74944b017362680c2981947d94680f4b017362658c057072696365948c07646563696d616c948c07446563696d616c9493948c062d302e30303194859452948c036461799468028c0464617465949394430407cf0c1f9485945294752e',
  uuid1Proto2: '800263757569640a555549440a7100298171017d7102285803000000696e7471038a111ebe442411001abdda116ef81a8c09a800580700000069735f7361666571044b0075622e',
  dateProto2: '8002636461746574696d650a646174650a7100635f636f646563730a656e636f64650a7101580500000007c3aa0102710258060000006c6174696e3171038671045271058571065271072e',
  datetimeProto3: '8003636461746574696d650a6461746574696d650a7100430a07ea010203040500000671018571025271032e',
  set: '80059509000000000000008f94284b014b02902e',
  bytes: '800595060000000000000043026162942e',
  timedelta: '80059524000000000000008c086461746574696d65948c0974696d6564656c74619493944b014b004b00879452942e',
  orderedDict: '80059529000000000000008c0b636f6c6c656374696f6e73948c0b4f726465726564446963749493942952948c0161944b01732e',
  exception: '80059523000000000000008c086275696c74696e73948c0a56616c75654572726f729493948c017894859452942e',
};

describe('writing', () => {
  test('byte for byte what Python 3 writes for a dict and for a stored exception', () => {
    expect(pickle({ sum: 5 }).toString('hex')).toBe(PY.sum);
    expect(pickle({ exc_type: 'ValueError', exc_message: new PyTuple(['boom', 2]), exc_module: 'builtins' }).toString('hex')).toBe(PY.failure);
  });

  test.each([
    ['null', null],
    ['bools', [true, false]],
    ['ints of every width', [0, 255, 256, 65535, 65536, -1, -129, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 53 - 1, -(2 ** 53 - 1), 1e20]],
    ['floats', [0.5, -1.25, 1e-300, 123456.789]],
    ['strings', ['', 'ä€😀', 'x'.repeat(255), 'y'.repeat(256), 'z'.repeat(70_000)]],
    ['nesting', { a: [1, { b: [null, 'c'] }], '': {}, e: [] }],
    ['a key named __proto__', JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as unknown],
    ['a list longer than one batch', Array.from({ length: 2_500 }, (_, i) => i)],
    ['a dict longer than one batch', Object.fromEntries(Array.from({ length: 1_001 }, (_, i) => [`k${i}`, i]))],
  ])('%s read back as written', (_label, value) => {
    const back = unpickle(pickle(value));
    expect(back).toEqual(value);
    expect(JSON.stringify(back)).toBe(JSON.stringify(value));
  });

  test('a tuple reads back as an array', () => {
    expect(unpickle(pickle(new PyTuple([1, new PyTuple([]), new PyTuple([1, 2, 3, 4])])))).toEqual([1, [], [1, 2, 3, 4]]);
  });

  test('values JSON cannot hold are refused', () => {
    expect(() => pickle(NaN)).toThrow(PickleError);
    expect(() => pickle(() => 1)).toThrow(PickleError);
    let deep: unknown = 1;
    for (let i = 0; i < 2_000; i++) deep = [deep];
    expect(() => pickle(deep)).toThrow(/deeper/);
  });
});

describe('reading Python pickles', () => {
  test('what Celery 5.2 stored: a dict and a failure (exc_message is a tuple)', () => {
    expect(unpickle(hex(PY.sum))).toEqual({ sum: 5 });
    expect(unpickle(hex(PY.failure))).toEqual({ exc_type: 'ValueError', exc_message: ['boom', 2], exc_module: 'builtins' });
  });

  test('allow-listed classes read as ISO or plain strings', () => {
    expect(unpickle(hex(PY.datetime))).toBe('2026-01-02T03:04:05.678901');
    expect(unpickle(hex(PY.date))).toBe('2026-01-02');
    expect(unpickle(hex(PY.decimal))).toBe('1.50');
    expect(unpickle(hex(PY.uuid))).toBe('12345678-1234-5678-1234-567812345678');
    expect(unpickle(hex(PY.utc))).toBe('2026-01-02T03:04:05+00:00');
    expect(unpickle(hex(PY.minus530))).toBe('2026-01-02T03:04:05-05:30');
    expect(unpickle(hex(PY.mixed))).toEqual({
      when: '2026-01-02T03:04:05',
      ids: ['00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000001'],
      price: '-0.001',
      day: '1999-12-31',
    });
  });

  test('protocols 2 and 3: GLOBAL, BINPUT, bytes as _codecs.encode, a uuid1 with is_safe', () => {
    expect(unpickle(hex(PY.uuid1Proto2))).toBe('a8098c1a-f86e-11da-bd1a-00112444be1e');
    expect(unpickle(hex(PY.dateProto2))).toBe('2026-01-02');
    expect(unpickle(hex(PY.datetimeProto3))).toBe('2026-01-02T03:04:05.000006');
  });

  test.each([
    ['a set', PY.set, /0x8f/],
    ['bytes', PY.bytes, /bytes/],
    ['a timedelta', PY.timedelta, /datetime\.timedelta/],
    ['an OrderedDict', PY.orderedDict, /collections\.OrderedDict.*not allowed/],
    ['an exception instance', PY.exception, /builtins\.ValueError.*not allowed/],
  ])('%s is refused with a clear error', (_label, h, message) => {
    expect(() => unpickle(hex(h))).toThrow(PickleError);
    expect(() => unpickle(hex(h))).toThrow(message);
  });
});

describe('hostile pickles', () => {
  const op = (...parts: (string | number[] | Buffer)[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
  const short = (s: string) => op([0x8c, s.length], s);

  test.each([
    ['os.system through GLOBAL + REDUCE', op([0x80, 2], 'cos\nsystem\n', short('touch /tmp/pwned'), [0x85], 'R.'), /os\.system.*not allowed/],
    ['builtins.eval through STACK_GLOBAL', op([0x80, 4], short('builtins'), short('eval'), [0x93], short('1+1'), [0x85], 'R.'), /builtins\.eval/],
    ['subprocess.Popen through NEWOBJ', op([0x80, 4], short('subprocess'), short('Popen'), [0x93], ')', [0x81], '.'), /subprocess\.Popen/],
    ['protocol 0 text opcodes (c/S/t/R)', op("cos\nsystem\n(S'echo'\ntR."), /opcode 0x63|os\.system/],
    ['INST', op([0x80, 2], '(iposix\nsystem\n.'), /opcode 0x69/],
    ['OBJ', op([0x80, 2], '(', [0x29], 'o.'), /opcode 0x6f/],
    ['EXT1 (copyreg extension registry)', op([0x80, 2, 0x82, 1], '.'), /opcode 0x82/],
    ['PERSID / BINPERSID', op([0x80, 2], 'N', [0x51], '.'), /opcode 0x51/],
    ['NEWOBJ_EX', op([0x80, 4], short('uuid'), short('UUID'), [0x93], ')}', [0x92], '.'), /opcode 0x92/],
    ['REDUCE of a str', op([0x80, 2], short('x'), [0x29], 'R.'), /allowed callable/],
    ['BUILD on a dict (a __setstate__ call)', op([0x80, 2], '}}b.'), /BUILD/],
    ['NEWOBJ of an allowed REDUCE class', op([0x80, 4], short('decimal'), short('Decimal'), [0x93, 0x29, 0x81], '.'), /NEWOBJ/],
    ['a datetime with a forged tzinfo', op([0x80, 4], short('datetime'), short('datetime'), [0x93, 0x43, 10, 7, 234, 1, 2, 3, 4, 5, 0, 0, 0], short('x'), [0x86], 'R.'), /tzinfo/],
    ['a datetime whose state is not 10 bytes', op([0x80, 4], short('datetime'), short('datetime'), [0x93, 0x43, 2, 1, 2, 0x85], 'R.'), /10 bytes/],
    ['_codecs.encode to another encoding', op([0x80, 2], 'c_codecs\nencode\n', short('x'), short('rot13'), [0x86], 'R.'), /latin1/],
    ['protocol 6', op([0x80, 6], 'N.'), /protocol 6/],
    ['a memo read before it is set', op([0x80, 2, 0x68, 7], '.'), /memo 7/],
    ['stack underflow', op([0x80, 2], 's.'), /underflow/],
    ['two values left on the stack', op([0x80, 2], 'NN.'), /malformed/],
    ['no STOP', op([0x80, 2], 'N'), /truncated/],
    ['a string longer than the pickle', op([0x80, 4, 0x8d], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], 'ab.'), /truncated/],
    ['invalid UTF-8', op([0x80, 2, 0x8c, 2, 0xc3, 0x28], '.'), /UTF-8/],
    ['a list that contains itself', op([0x80, 2, 0x5d, 0x94, 0x68, 0], 'a.'), /contains itself/],
  ])('%s is refused', (_label, data, message) => {
    expect(() => unpickle(data)).toThrow(PickleError);
    expect(() => unpickle(data)).toThrow(message);
  });

  test('a "billion laughs" of shared references is refused before it expands', () => {
    // l0 = [1]; l(n+1) = [ln]*10, thirty levels deep: 10^30 values when expanded.
    const parts: number[] = [0x80, 2, 0x5d, 0x4b, 1, 0x61, 0x71, 0, 0x30];
    for (let i = 0; i < 30; i++) {
      parts.push(0x5d, 0x28);
      for (let j = 0; j < 10; j++) parts.push(0x68, i);
      parts.push(0x65, 0x71, i + 1, 0x30);
    }
    parts.push(0x68, 30, 0x2e);
    expect(() => unpickle(Buffer.from(parts))).toThrow(/more than 1000000 values/);
  });

  test('nesting too deep is refused, not a stack overflow', () => {
    const data = Buffer.concat([Buffer.from([0x80, 2]), Buffer.alloc(100_000, 0x5d), Buffer.alloc(99_999, 0x61), Buffer.from('.')]);
    expect(() => unpickle(data)).toThrow(/deeper than/);
  });

  test('fuzz: random bytes and mutated Python pickles only ever give a JSON value or a PickleError', () => {
    const seeds = Object.values(PY).map(hex);
    const started = Date.now();
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      let data: Buffer;
      if (i % 4 === 0) data = randomBytes(1 + (i % 64));
      else {
        data = Buffer.from(seeds[i % seeds.length]!);
        const flips = 1 + (i % 4);
        for (let f = 0; f < flips; f++) data[Math.floor(Math.random() * data.length)] = Math.floor(Math.random() * 256);
        if (i % 3 === 0) data = data.subarray(0, Math.floor(Math.random() * data.length));
      }
      try {
        const v = unpickle(data);
        expect(() => JSON.stringify(v)).not.toThrow();
      } catch (err) {
        if (!(err instanceof PickleError)) throw new Error(`${data.toString('hex')} threw ${(err as Error).stack}`);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(10_000);
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
