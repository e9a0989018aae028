// What `npm pack` of @celeriac/core ships: README, LICENSE, the build, the bin and the Lua commands; every source
// map points at files the package carries; no tests. Needs the build (`npm test` builds first).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const CORE = resolve(__dirname, '../..');

interface PackFile {
  path: string;
}

function packedFiles(): Set<string> {
  const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: CORE, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`npm pack --dry-run failed (${r.status}): ${r.stderr}`);
  const [report] = JSON.parse(r.stdout) as { files: PackFile[] }[];
  return new Set(report!.files.map((f) => f.path));
}

let files: Set<string>;
beforeAll(() => {
  files = packedFiles();
});

test('the package carries README, LICENSE, the build, its types, the bin and every Lua command', () => {
  const lua = readdirSync(join(CORE, 'src/redis/commands')).filter((f) => f.endsWith('.lua'));
  expect(lua.length).toBeGreaterThan(0);
  const required = [
    'package.json',
    'README.md',
    'LICENSE',
    'bin/celeriac.js',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/testing/index.js',
    'dist/testing/index.d.ts',
    'dist/cli/celeriac.js',
    ...lua.map((f) => `dist/redis/commands/${f}`),
  ];
  expect(required.filter((f) => !files.has(f))).toEqual([]);
  expect(readFileSync(join(CORE, 'LICENSE'), 'utf8')).toMatch(/^MIT License/);
});

test('every source map in the package points only at files the package carries', () => {
  const maps = [...files].filter((f) => f.endsWith('.map'));
  expect(maps.length).toBeGreaterThan(0);
  const missing: string[] = [];
  for (const map of maps) {
    const { sources, sourceRoot = '' } = JSON.parse(readFileSync(join(CORE, map), 'utf8')) as { sources: string[]; sourceRoot?: string };
    for (const src of sources) {
      const target = relative(CORE, resolve(CORE, dirname(map), sourceRoot, src)).split('\\').join('/');
      if (!files.has(target)) missing.push(`${map} → ${src}`);
    }
  }
  expect(missing).toEqual([]);
});

test('no tests, fixtures or build state in the package', () => {
  const unwanted = [...files].filter((f) => /(^|\/)(test|tests|__tests__|fixtures)\//.test(f) || /\.(spec|test)\.[cm]?[jt]s$/.test(f) || f.endsWith('.tsbuildinfo'));
  expect(unwanted).toEqual([]);
});
