// The `celeriac` command, run as users run it: `node dist/cli/celeriac.js …` in a child process.
// Needs the build (`npm run build -w @celeriac/core`; `npm test` builds first).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const CORE = resolve(__dirname, '../..');
const CLI = join(CORE, 'dist/cli/celeriac.js');
const FIXTURES = join(CORE, 'test/fixtures');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function celeriac(...args: string[]): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: FIXTURES, encoding: 'utf8', timeout: 15_000, env: { ...process.env, NO_COLOR: '1' } });
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
      for (const cmd of ['worker', 'status', 'result', 'purge', 'call']) expect(r.stdout).toContain(`  ${cmd} `);
      expect(r.stdout).toContain('-A, --app <module>');
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

  it('an unknown option exits 1 naming it', () => {
    const r = celeriac('status', '--bogus');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^celeriac: .*'--bogus'/);
  });
});

describe('celeriac worker: errors before anything runs', () => {
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

  it('a module that throws while loading: its error is shown, exit 1', () => {
    const r = celeriac('worker', '-A', './cli-throws.js');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('fixture failed to load: DATABASE_URL is not set');
  });

  it('-l bogus is an error naming the levels', () => {
    const r = celeriac('worker', '-A', './cli-app.js', '-l', 'bogus');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('celeriac: -l must be debug, info, warn or error, got bogus');
  });

  it('runs the app’s worker, logs its tasks, and shuts down warm on SIGTERM (exit 0)', async () => {
    const child = spawn(process.execPath, [CLI, 'worker', '-A', './cli-app.js', '-l', 'info', '-c', '2', '-Q', 'celery,mail', '-n', 'cli-test@host'], {
      cwd: FIXTURES,
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    try {
      await new Promise<void>((res, rej) => {
        const timer = setTimeout(() => rej(new Error(`worker did not start:\n${out}`)), 10_000);
        const check = () => {
          if (/tasks: fixture\.add, fixture\.slow/.test(out)) {
            clearTimeout(timer);
            child.stdout.off('data', check);
            res();
          }
        };
        child.stdout.on('data', check);
      });
      expect(out).toMatch(/ready: queues celery,mail, concurrency 2/);
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`no exit after SIGTERM:\n${out}`)), 10_000)));
      const code = await Promise.race([exited, timeout]).finally(() => clearTimeout(timer));
      expect(code).toBe(0);
      expect(out).toContain('SIGTERM: warm shutdown');
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('celeriac -A: how the app is found', () => {
  it.each([
    ['exported as `app`', './cli-app.js'],
    ['as the default export', './cli-default-export.js'],
    ['as module.exports', './cli-module-exports.js'],
    ['without the .js extension', './cli-app'],
    ['from an ES module', './cli-esm.mjs'],
  ])('%s', (_how, spec) => {
    const r = celeriac('result', 'some-id', '-A', spec);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ task_id: 'some-id', status: 'PENDING' });
  });
});

describe('celeriac status / result / purge / call against a memory:// app', () => {
  it('status lists the live workers', () => {
    const r = celeriac('status', '-A', './cli-app.js');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^fixture@test \(pid 4242\): OK {2}queues=celery,mail concurrency=4 active=1 processed=7 heartbeat=\d+\.\ds ago$/m);
    expect(r.stdout).toContain('1 node(s) online.');
  });

  it('status with no worker says so', () => {
    const r = celeriac('status', '-b', 'memory://nobody-here');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('No live workers.\n0 node(s) online.\n');
  });

  it('status without -A or -b is a clear error', () => {
    const r = celeriac('status');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Give the app with -A <module>');
  });

  it('result prints the stored meta of a finished task', () => {
    const r = celeriac('result', 'fixture-done-id', '-A', './cli-app.js');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      status: 'SUCCESS',
      result: 5,
      traceback: null,
      children: [],
      date_done: '2026-11-21T19:10:09.814725',
      task_id: 'fixture-done-id',
    });
  });

  it('result of an unknown id is PENDING', () => {
    const r = celeriac('result', 'no-such-id', '-A', './cli-app.js');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ task_id: 'no-such-id', status: 'PENDING' });
  });

  it('result without an id prints its usage, exit 1', () => {
    const r = celeriac('result', '-A', './cli-app.js');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Usage: celeriac result <task-id>');
  });

  it('purge empties the default queue and says how many it removed', () => {
    const r = celeriac('purge', '-A', './cli-app.js');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Purged 2 message(s) from celery.\n');
  });

  it('purge -Q empties each named queue', () => {
    const r = celeriac('purge', '-Q', 'celery,mail,empty', '-A', './cli-app.js');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Purged 2 message(s) from celery.\nPurged 1 message(s) from mail.\nPurged 0 message(s) from empty.\n');
  });

  it('call sends a task and prints its id', () => {
    const r = celeriac('call', 'fixture.add', '--args', '[2, 3]', '-A', './cli-app.js');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(UUID);
  });

  it('call by name with kwargs and a queue, on a bare broker URL', () => {
    const r = celeriac('call', 'proj.add', '--args', '[1]', '--kwargs', '{"b": 2}', '-Q', 'other', '-b', 'memory://call');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(UUID);
  });

  it.each([
    [['--args', 'nope'], '--args must be JSON, got nope'],
    [['--args', '{"a": 1}'], '--args must be a JSON array'],
    [['--kwargs', '[1'], '--kwargs must be JSON, got [1'],
  ])('call %j is a clear error', (flags, message) => {
    const r = celeriac('call', 'fixture.add', ...flags, '-A', './cli-app.js');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`celeriac: ${message}`);
  });

  it('call without a task name prints its usage, exit 1', () => {
    const r = celeriac('call', '-A', './cli-app.js');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Usage: celeriac call <task-name>');
  });
});
