// The pickle writer against Python itself (/usr/bin/python3's pickle, no database): byte-equal to
// `pickle.dumps(v, 5)` for JSON-like values up to a frame (64 KiB), and loadable by Python at any size.
import { execFileSync } from 'node:child_process';
import { pickle } from '../../src/pickle';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const dict = (n: number) => Object.fromEntries(range(n).map((i) => [`k${i}`, i]));

const VALUES: unknown[] = [
  null, true, false, 0, 255, 256, 65535, 65536, -1, -129, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53 - 1, 1e20, 0.1, -2.5e-300,
  '', 'ascii', 'ü€😀', 'a'.repeat(255), 'a'.repeat(256),
  [], [1], [1, 2], [[[]]], range(999), range(1000), range(1001), range(2000), range(2001),
  {}, { a: 1 }, { a: [{ b: null }] }, { x: { y: {} } }, dict(999), dict(1000), dict(1001), dict(2000),
  { sum: 5 }, { status: 'sent', to: ['ann@example.com'], retries: 0, meta: { took: 0.25 } },
];

const PY = `
import json, pickle, sys
cases = json.load(sys.stdin)
out = []
for js, hx in cases:
    v = json.loads(js)
    out.append([pickle.dumps(v, 5).hex() == hx, pickle.loads(bytes.fromhex(hx)) == v])
print(json.dumps(out))
`;

function python(cases: [string, string][]): [boolean, boolean][] {
  const stdout = execFileSync('/usr/bin/python3', ['-c', PY], { input: JSON.stringify(cases), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
  return JSON.parse(stdout) as [boolean, boolean][];
}

test('byte for byte what Python writes, for every shape and batch size', () => {
  const cases = VALUES.map((v) => [JSON.stringify(v), pickle(v).toString('hex')] as [string, string]);
  const verdicts = python(cases);
  const wrong = cases.filter((_, i) => !verdicts[i]![0]).map(([js]) => js.slice(0, 60));
  expect(wrong).toEqual([]);
  expect(verdicts.every(([, loads]) => loads)).toBe(true);
});

test('a result larger than one frame is still read by Python as the same value', () => {
  const big = { text: 'x'.repeat(200_000), rows: range(5_000).map((i) => ({ i, s: `é${i}`, f: i / 3 })) };
  const [[, loads]] = python([[JSON.stringify(big), pickle(big).toString('hex')]]) as [[boolean, boolean]];
  expect(loads).toBe(true);
});
