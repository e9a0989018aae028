// The `celeriac` command, run as users run it: `node dist/cli/celeriac.js …` in a child process, for what needs
// no broker (usage, flags, loading the module, refusing memory://). Against Redis: test/redis/cli.redis.spec.ts.
// Needs the build (`npm run build -w @celeriac/core`; `npm test` builds first).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const CORE = resolve(__dirname, '../..');
const CLI = join(CORE, 'dist/cli/celeriac.js');
const FIXTURES = join(CORE, 'test/fixtures');
const COMMANDS = ['worker', 'status', 'result', 'purge', 'call', 'queues'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function celeriac(...args: string[]): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.CELERIAC_BROKER_URL; // NOTE: these cases are about what happens with nothing configured.
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: FIXTURES, encoding: 'utf8', timeout: 15_000, env });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build -w @celeriac/core\` first`);
});

describe('celeriac: usage', () => {
  it('--help prints usage and exits 0', () => {
    for (const flag of ['--help', '-h']) {
      const r = celeriac(flag);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: celeriac <command> \[options\]/);
      for (const cmd of COMMANDS) expect(r.stdout).toContain(`  ${cmd} `);
      expect(r.stdout).toContain('-A, --app <module>');
    }
  });

  it.each(COMMANDS)('`celeriac %s --help` prints that command’s usage and options, exit 0', (cmd) => {
    const r = celeriac(cmd, '--help');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(new RegExp(`^Usage: celeriac ${cmd}\\b`));
    expect(r.stdout).toContain('-A, --app <module>');
    expect(r.stdout).toContain('-b, --broker <url>');
    // each command's own options, and none of the others'
    const own: Record<string, string[]> = {
      worker: ['-c, --concurrency', '-l, --loglevel', '-n, --hostname', '-Q, --queues'],
      status: [],
      result: ['<task-id>'],
      purge: ['-f, --force', '-Q, --queues'],
      call: ['--args <json>', '--kwargs <json>'],
      queues: ['--json'],
    };
    for (const o of own[cmd]!) expect(r.stdout).toContain(o);
    if (cmd !== 'worker') expect(r.stdout).not.toContain('--concurrency');
    expect(r.stdout).toBe(celeriac(cmd, '-h').stdout);
  });

  it('--version / -V prints the package version', () => {
    const { version } = JSON.parse(readFileSync(join(CORE, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = celeriac(flag);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`celeriac ${version}\n`);
    }
  });

  it('no command prints usage and exits 1', () => {
    const r = celeriac();
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Usage: celeriac');
  });

  it('an unknown command exits 1 with its name and the usage', () => {
    const r = celeriac('wrker', '-A', './cli-app.js');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Unknown command "wrker"');
    expect(r.stderr).toContain('Usage: celeriac <command>');
  });

  it('an unknown option exits 1 naming it, without a stack', () => {
    const r = celeriac('status', '--bogus');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^celeriac: .*'--bogus'/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('celeriac: errors before anything runs', () => {
  it('without -A is a clear error, exit 1', () => {
    const r = celeriac('worker');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('celeriac: Give the app with -A <module> (or a broker URL with -b)');
  });

  it('-A ./missing.js names the path', () => {
    const r = celeriac('worker', '-A', './missing.js');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('-A ./missing.js: no such module');
    expect(r.stderr).toContain(join(FIXTURES, 'missing.js'));
  });

  it('a module without an app export is a clear error', () => {
    const r = celeriac('worker', '-A', './cli-no-app.js');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('-A ./cli-no-app.js: the module exports no app (export it as `app` or as the default export)');
  });

  it('a module that throws while loading: its file, its error and its stack are shown, exit 1', () => {
    const r = celeriac('worker', '-A', './cli-throws.js');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`-A ./cli-throws.js: loading ${join(FIXTURES, 'cli-throws.js')} failed:`);
    expect(r.stderr).toContain('Error: fixture failed to load: DATABASE_URL is not set');
    expect(r.stderr).toContain(`at Object.<anonymous> (${join(FIXTURES, 'cli-throws.js')}:4:7)`);
  });

  it('-l bogus is an error naming the levels', () => {
    const r = celeriac('worker', '-A', './cli-app.js', '-l', 'bogus');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('celeriac: -l must be debug, info, warn or error, got bogus');
  });

  it.each(['INFO', 'Debug', 'WARNING', 'error'])('-l %s is accepted (any case, Celery’s names)', (level) => {
    // it gets past the level to the broker check: no broker is configured here
    const r = celeriac('worker', '-A', './cli-app.js', '-l', level);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toContain('-l must be');
    expect(r.stderr).toContain('memory://');
  });

  it('a Redis URL whose database is not a number is a ConfigurationError naming the URL (password hidden)', () => {
    const r = celeriac('status', '-b', 'redis://:secret@127.0.0.1:6379/7x');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'celeriac: `brokerUrl` (redis://:***@127.0.0.1:6379/7x) has the database "7x"; a Redis URL ends in a database number, e.g. redis://127.0.0.1:6379/0',
    );
  });
});

describe('celeriac never runs on memory:// (each command is its own process)', () => {
  const cases: [string, string[]][] = [
    ['worker', ['worker', '-A', './cli-app.js']],
    ['call', ['call', 'fixture.add', '--args', '[1, 2]', '-A', './cli-app.js']],
    ['result', ['result', 'some-id', '-A', './cli-app.js']],
    ['purge', ['purge', '-f', '-A', './cli-app.js']],
    ['status', ['status', '-A', './cli-app.js']],
    ['queues', ['queues', '-A', './cli-app.js']],
    ['status', ['status', '-b', 'memory://']],
    ['worker', ['worker', '-A', './cli-module-exports.js']],
  ];
  it.each(cases)('%s refuses, naming the settings to set, exit 1, no stack', (cmd, args) => {
    const r = celeriac(...args);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^celeriac: celeriac ${cmd}: the broker is memory://\\S*, which lives inside this one process`));
    for (const setting of ['-b redis://', 'CELERIAC_BROKER_URL', 'brokerUrl']) expect(r.stderr).toContain(setting);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
