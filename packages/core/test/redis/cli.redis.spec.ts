// The `celeriac` command against a real redis-server: each command in its own process, as users run it.
import { spawn } from 'node:child_process';
import type Redis from 'ioredis';
import { celeriacKeys } from '../../src/redis/keys';
import { CLI, CliProcess, FIXTURES, assertBuilt, runCli } from '../support/cli';
import { startRedis, type RedisServer } from '../support/redis-server';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let redis: RedisServer;
let secured: RedisServer;
let admin: Redis;
let db = 0;
let url: string;
const workers: CliProcess[] = [];

beforeAll(async () => {
  assertBuilt();
  [redis, secured] = await Promise.all([startRedis({ own: true }), startRedis({ password: 's3cret' })]);
  admin = redis.client();
});
beforeEach(async () => {
  // NOTE: a database of its own per test (the server is this file's own), so counts start at zero.
  url = redis.url(++db % 16);
  await admin.select(db % 16);
  await admin.flushdb();
});
afterEach(() => {
  for (const w of workers.splice(0)) w.kill();
});
afterAll(async () => {
  await Promise.all([redis.stop(), secured.stop()]);
});

function worker(args: string[], env: NodeJS.ProcessEnv = { CELERIAC_BROKER_URL: url }): CliProcess {
  const w = new CliProcess(['worker', '-A', './cli-app.js', ...args], env);
  workers.push(w);
  return w;
}

const env = () => ({ CELERIAC_BROKER_URL: url });

describe('celeriac worker', () => {
  it('prints a banner (password hidden), warns about routes to queues it does not consume, logs tasks, exits promptly on SIGTERM', async () => {
    const w = worker(['-l', 'INFO', '-c', '2', '-Q', 'celery,mail', '-n', 'cli-test@host'], { CELERIAC_BROKER_URL: secured.url(3) });
    await w.waitFor(/\[tasks\][\s\S]*fixture\.slow/);
    const port = secured.port;
    expect(w.output).toMatch(/INFO worker: cli-test@host ready\.\n- app: +cli-fixture\n/);
    expect(w.output).toContain(`- transport:   redis://:***@127.0.0.1:${port}/3\n`);
    expect(w.output).toContain(`- results:     redis://:***@127.0.0.1:${port}/3\n`);
    expect(w.output).toContain('- concurrency: 2 (prefetch 8)\n');
    expect(w.output).toContain('- queues:      celery, mail\n');
    for (const t of ['fixture.add', 'fixture.fail', 'fixture.flaky', 'fixture.slow']) expect(w.output).toContain(`\n  . ${t}\n`);
    expect(w.output).toContain('  . fixture.report  (routed to "reports", not consumed here)');
    await w.waitFor(/WARN worker: task fixture\.report is routed to queue "reports", which this worker does not consume \(-Q celery,mail\)/);
    expect(w.output).not.toContain('s3cret');

    const call = await runCli(['call', 'fixture.add', '--args', '[2, 3]', '-A', './cli-app.js'], { CELERIAC_BROKER_URL: secured.url(3) });
    expect(call.code).toBe(0);
    const id = call.stdout.trim();
    await w.waitFor(new RegExp(`INFO worker: Task fixture\\.add\\[${id}\\] succeeded in \\d+\\.\\d{3}s`));
    expect(w.output).not.toContain(`[${id}] received`); // debug only

    w.child.kill('SIGTERM');
    const closedAt = await w.waitFor(/worker \S+ closed \(1 processed\)/);
    expect(await w.exited).toBe(0);
    expect(w.output).toContain('SIGTERM: warm shutdown');
    // NOTE: a generous bound; an idle worker used to linger ~1.5 s after "closed".
    expect(w.exitedAt - closedAt).toBeLessThan(1_000);
  });

  it('-l debug shows each task received and started; a failure is an ERROR with its stack; a retry gives its reason and countdown', async () => {
    const w = worker(['-l', 'debug']);
    await w.waitFor(/\[tasks\]/);
    const ids: Record<string, string> = {};
    for (const t of ['fixture.add', 'fixture.fail', 'fixture.flaky']) {
      const r = await runCli(['call', t, '--args', t === 'fixture.add' ? '[1, 2]' : '[]', '-A', './cli-app.js'], env());
      expect(r.stderr).toBe('');
      ids[t] = r.stdout.trim();
    }
    const add = ids['fixture.add']!;
    await w.waitFor(new RegExp(`Task fixture\\.add\\[${add}\\] succeeded`));
    expect(w.output).toMatch(new RegExp(`DEBUG worker: Task fixture\\.add\\[${add}\\] received\\n[\\s\\S]*DEBUG worker: Task fixture\\.add\\[${add}\\] started\\n`));

    const fail = ids['fixture.fail']!;
    await w.waitFor(new RegExp(`ERROR worker: Task fixture\\.fail\\[${fail}\\] failed in \\d+\\.\\d{3}s: TypeError: fixture failure: bad input\\n\\s+at `));
    expect(w.output).toContain('cli-app.js:'); // the stack points into the task's own file

    const flaky = ids['fixture.flaky']!;
    await w.waitFor(new RegExp(`INFO worker: Task fixture\\.flaky\\[${flaky}\\] retry in 100ms \\(retry 1\\): Error: upstream said 503`));
    await w.waitFor(new RegExp(`Task fixture\\.flaky\\[${flaky}\\] succeeded`));
  });
});

describe('celeriac status / result / call / purge / queues', () => {
  it('status lists a live worker', async () => {
    const w = worker(['-c', '3', '-Q', 'celery,mail', '-n', 'status-test@host']);
    await w.waitFor(/\[tasks\]/);
    const r = await runCli(['status', '-b', url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^status-test@host \(pid \d+\): OK {2}queues=celery,mail concurrency=3 active=0 processed=0 heartbeat=\d+\.\ds ago$/m);
    expect(r.stdout).toContain('1 node(s) online.');
  });

  it('status with no worker says so', async () => {
    const r = await runCli(['status', '-b', url]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('No live workers.\n0 node(s) online.\n');
  });

  it('result prints the stored meta of a finished task, and PENDING for an unknown id', async () => {
    const meta = { status: 'SUCCESS', result: 5, traceback: null, children: [], date_done: '2026-11-21T19:10:09.814725', task_id: 'fixture-done-id' };
    await admin.set('celery-task-meta-fixture-done-id', JSON.stringify(meta));
    const r = await runCli(['result', 'fixture-done-id', '-A', './cli-app.js'], env());
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(meta);
    const p = await runCli(['result', 'no-such-id', '-b', url]);
    expect(JSON.parse(p.stdout)).toEqual({ task_id: 'no-such-id', status: 'PENDING' });
  });

  it('results kept in memory:// beside a Redis broker: result refuses, the worker warns', async () => {
    const r = await runCli(['result', 'some-id', '-A', './cli-memory-backend.js'], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^celeriac: celeriac result: the result backend is memory:\/\/cli-results, which lives inside this one process/);
    expect(r.stderr).toContain('resultBackend');
    const w = new CliProcess(['worker', '-A', './cli-memory-backend.js'], env());
    workers.push(w);
    await w.waitFor(/WARN worker: results go to memory:\/\/cli-results, inside this process: nobody else can read them/);
  });

  it('result without an id prints its usage, exit 1', async () => {
    const r = await runCli(['result', '-b', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Usage: celeriac result <task-id>');
  });

  it.each([
    ['exported as `app`', './cli-app.js'],
    ['as the default export', './cli-default-export.js'],
    ['as module.exports', './cli-module-exports.js'],
    ['without the .js extension', './cli-app'],
    ['from an ES module', './cli-esm.mjs'],
  ])('-A finds the app %s (its memory:// replaced by CELERIAC_BROKER_URL)', async (_how, spec) => {
    const r = await runCli(['result', 'some-id', '-A', spec], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ task_id: 'some-id', status: 'PENDING' });
  });

  it('-b overrides the broker of the app', async () => {
    const r = await runCli(['call', 'fixture.add', '--args', '[1, 1]', '-A', './cli-app.js', '-b', url]);
    expect(r.code).toBe(0);
    expect(await admin.llen('celery')).toBe(1);
  });

  it('call sends by name, with kwargs and a queue, and prints the id', async () => {
    const r = await runCli(['call', 'proj.add', '--args', '[1]', '--kwargs', '{"b": 2}', '-Q', 'other', '-b', url]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const id = r.stdout.trim();
    expect(id).toMatch(UUID);
    const [raw] = await admin.lrange('other', 0, -1);
    const env = JSON.parse(raw!) as { headers: { id: string; task: string }; body: string };
    expect(env.headers).toMatchObject({ id, task: 'proj.add' });
    expect(JSON.parse(Buffer.from(env.body, 'base64').toString())).toEqual([[1], { b: 2 }, expect.any(Object)]);
  });

  it.each([
    [['--args', 'nope'], '--args must be JSON, got nope'],
    [['--args', '{"a": 1}'], '--args must be a JSON array'],
    [['--kwargs', '[1'], '--kwargs must be JSON, got [1'],
  ])('call %j is a clear error', async (flags, message) => {
    const r = await runCli(['call', 'fixture.add', ...flags, '-A', './cli-app.js'], env());
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`celeriac: ${message}`);
  });

  async function fill(): Promise<void> {
    for (const [args, q] of [['[1, 2]', null], ['[3, 4]', null], ['[5, 6]', 'mail']] as const) {
      const r = await runCli(['call', 'fixture.add', '--args', args, ...(q ? ['-Q', q] : []), '-A', './cli-app.js'], env());
      expect(r.code).toBe(0);
    }
  }

  it('purge without -f and without a terminal refuses and deletes nothing', async () => {
    await fill();
    const r = await runCli(['purge', '-A', './cli-app.js'], env());
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('celeriac: purge would delete every waiting task from celery and there is no terminal to confirm it on; add -f (--force) to purge anyway');
    expect(await admin.llen('celery')).toBe(2);
  });

  it('purge -f empties the default queue, and -Q each named queue', async () => {
    await fill();
    const r = await runCli(['purge', '-f', '-A', './cli-app.js'], env());
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('Purged 2 message(s) from celery.\n');
    await fill();
    const q = await runCli(['purge', '--force', '-Q', 'celery,mail,empty', '-b', url]);
    expect(q.stdout).toBe('Purged 2 message(s) from celery.\nPurged 2 message(s) from mail.\nPurged 0 message(s) from empty.\n');
  });

  /** The CLI on a pseudo-terminal (util-linux `script`), answering `answer` to its question. */
  function onTerminal(args: string[], answer: string): Promise<string> {
    const command = [process.execPath, CLI, ...args].map((a) => `'${a}'`).join(' ');
    return new Promise((res, rej) => {
      const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: FIXTURES, env: { ...process.env, CELERIAC_BROKER_URL: url } });
      let out = '';
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes('(yes/NO)') && !child.stdin.writableEnded) child.stdin.end(`${answer}\n`);
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        rej(new Error(`no answer from the terminal:\n${out}`));
      }, 15_000);
      child.on('close', () => {
        clearTimeout(timer);
        res(out);
      });
    });
  }

  it('purge on a terminal asks first: "no" keeps the messages, "yes" deletes them', async () => {
    await fill();
    const no = await onTerminal(['purge', '-A', './cli-app.js'], 'no');
    expect(no).toContain('This removes every waiting task from "celery"; there is no undo');
    expect(no).toContain('Nothing purged.');
    expect(await admin.llen('celery')).toBe(2);
    const yes = await onTerminal(['purge', '-A', './cli-app.js'], 'yes');
    expect(yes).toContain('Purged 2 message(s) from celery.');
    expect(await admin.llen('celery')).toBe(0);
  });

  it('queues prints each queue (all priorities), the delayed set, the dead letters and the live workers; --json for machines', async () => {
    await fill();
    await admin.lpush(`celery\x06\x163`, 'x'); // a priority sub-list counts towards its queue
    await admin.zadd(celeriacKeys.delayed, Date.now() + 60_000, 'celery\nraw-1', Date.now() + 90_000, 'celery\nraw-2');
    await admin.lpush(celeriacKeys.deadLetter, JSON.stringify({ reason: 'test', queue: 'celery', raw: '{}', at: 0, worker: 'w' }));
    const w = worker(['-Q', 'idle,other', '-n', 'queues-test@host']);
    await w.waitFor(/\[tasks\]/);

    const r = await runCli(['queues', '-A', './cli-app.js'], env());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}celery +3 {2}no worker consumes it$/m);
    expect(r.stdout).toMatch(/^ {2}mail +1 {2}no worker consumes it$/m);
    expect(r.stdout).toMatch(/^ {2}idle +0 {2}1 worker\(s\)$/m);
    expect(r.stdout).toContain('Delayed (countdown/eta): 2\n');
    expect(r.stdout).toContain('Dead letters: 1\n');
    expect(r.stdout).toMatch(/Workers: 1 online\n {2}queues-test@host \(pid \d+\): queues=idle,other concurrency=10 active=0/);

    const j = await runCli(['queues', '--json', '-b', url]);
    const report = JSON.parse(j.stdout) as { queues: Record<string, number>; delayed: number; deadLetters: number; workers: { hostname: string }[] };
    expect(report.queues).toEqual({ celery: 3, idle: 0, mail: 1, other: 0 });
    expect(report.delayed).toBe(2);
    expect(report.deadLetters).toBe(1);
    expect(report.workers.map((x) => x.hostname)).toEqual(['queues-test@host']);

    const only = JSON.parse((await runCli(['queues', '--json', '-Q', 'mail', '-b', url])).stdout) as { queues: Record<string, number> };
    expect(only.queues).toEqual({ mail: 1 });
  });
});

describe('Redis connection errors, as the CLI reports them', () => {
  it('a database the server does not have fails at connect (not database 0)', async () => {
    const r = await runCli(['call', 'fixture.add', '--args', '[1, 2]', '-b', redis.url(99)]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`celeriac: Redis at ${redis.url(99)} has no database 99 (ERR DB index is out of range); the server's \`databases\` setting is lower`);
    await admin.select(0);
    expect(await admin.llen('celery')).toBe(0); // nothing went to database 0
  });

  it('a wrong password is reported as such, not as "unreachable" after the connection timeout', async () => {
    const bad = `redis://:wrong@127.0.0.1:${secured.port}/0`;
    const r = await runCli(['worker', '-A', './cli-app.js', '-b', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^celeriac: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 refused the password \(WRONGPASS [^)]*\); check the password in the URL\n$/);
    expect(r.stderr).not.toContain('wrong');
  });

  it('a missing password is reported as such', async () => {
    const r = await runCli(['status', '-b', `redis://127.0.0.1:${secured.port}/0`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^celeriac: Redis at redis:\/\/127\.0\.0\.1:\d+\/0 requires a password \(NOAUTH [^)]*\); give it in the URL: redis:\/\/:password@host:port\/db\n$/);
  });

  it('a password the server does not ask for: one warning through celeriac’s logger, nothing from ioredis on the console', async () => {
    const r = await runCli(['status', '-b', `redis://:unneeded@127.0.0.1:${redis.port}/0`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('0 node(s) online.');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/WARN celeriac: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 asks for no password, but the URL gives one/);
    expect(r.stderr).not.toContain('[WARN]');
    expect(r.stderr).not.toContain('[ioredis]');
  });
});

describe('a Redis outage under the CLI worker', () => {
  it('is one ERROR line and one "reconnected" line; nothing from ioredis on the console', async () => {
    const w = worker(['-l', 'info', '-Q', 'celery,other']);
    await w.waitFor(/\[tasks\]/);
    await redis.kill();
    await w.waitFor(/ERROR worker: lost the broker at redis:\/\/127\.0\.0\.1:\d+\/\d+: /);
    await new Promise((r) => setTimeout(r, 3_000)); // heartbeats and fetches keep failing meanwhile
    await redis.restart();
    await w.waitFor(/INFO worker: reconnected to the broker at redis:\/\/127\.0\.0\.1:\d+\/\d+ after \d+\.\ds/);
    const call = await runCli(['call', 'fixture.add', '--args', '[20, 22]', '-b', url]);
    await w.waitFor(new RegExp(`Task fixture\\.add\\[${call.stdout.trim()}\\] succeeded`));
    expect(w.output.match(/lost the broker/g)).toHaveLength(1);
    expect(w.output.match(/reconnected/g)).toHaveLength(1);
    expect(w.output.match(/ ERROR /g)).toHaveLength(1);
    expect(w.output).not.toContain('[ioredis]');
  }, 60_000);
});
