// The committed bin file: npm links it at install time (dist/ does not exist yet then), and it runs the built CLI
// in its own process. Needs `npm ci` (for the link) and the build.
import { spawnSync } from 'node:child_process';
import { copyFileSync, lstatSync, mkdtempSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../../..');
const CORE = resolve(__dirname, '../..');
const LINK = join(ROOT, 'node_modules/.bin/celeriac');

test('npm links node_modules/.bin/celeriac to the committed bin file, as package.json says', () => {
  expect(lstatSync(LINK).isSymbolicLink()).toBe(true);
  expect(realpathSync(LINK)).toBe(join(CORE, 'bin/celeriac.js'));
  const pkg = require(join(CORE, 'package.json')) as { bin: Record<string, string>; files: string[] };
  expect(pkg.bin).toEqual({ celeriac: 'bin/celeriac.js' });
  expect(pkg.files).toContain('bin');
});

test('`npx celeriac --help` at the repository root prints the usage and exits 0', () => {
  const r = spawnSync('npx', ['--no-install', 'celeriac', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(r.error).toBeUndefined();
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^Usage: celeriac <command> \[options\]/);
});

test('without the build, the bin says to run the build and exits 1', () => {
  const dir = mkdtempSync(join(tmpdir(), 'celeriac-bin-'));
  try {
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(CORE, 'bin/celeriac.js'), join(dir, 'bin/celeriac.js'));
    const r = spawnSync(process.execPath, [join(dir, 'bin/celeriac.js'), '--help'], { encoding: 'utf8', timeout: 15_000 });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(join(dir, 'dist/cli/celeriac.js'));
    expect(r.stderr).toContain('run `npm run build` first');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
