// `celeriac beat --list`, `celeriac worker -B`, CELERIAC_BEAT_SCHEDULE and the beat's start-up errors, on a real
// redis-server; and the Redis beat store's claims (atomic with the send, or claim-only for a non-Redis broker).
import type Redis from 'ioredis';
import { createApp, every } from '@celeriac/core';
import { RedisBeatStore } from '../../src/redis/beat-store';
import { ConnectionPool } from '../../src/redis/connection';
import { join } from 'node:path';
import { CORE, CliProcess, assertBuilt, runCli } from '../support/cli';
import { readmeExample } from '../support/readme';
import { startRedis, type RedisServer } from '../support/redis-server';

let server: RedisServer;
let admin: Redis;
let db = 0;
let url: string;
const procs: CliProcess[] = [];

beforeAll(async () => {
  assertBuilt();
  server = await startRedis({ own: true });
  admin = server.client();
});
beforeEach(async () => {
  // NOTE: a database of its own per test (the server is this file's own).
  db = (db % 15) + 1;
  url = server.url(db);
  await admin.select(db);
  await admin.flushdb();
});
afterEach(() => {
  for (const p of procs.splice(0)) p.kill();
});
afterAll(async () => {
  await server.stop();
});

function start(args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const p = new CliProcess(args, { CELERIAC_BROKER_URL: url, ...env });
  procs.push(p);
  return p;
}

describe('celeriac beat', () => {
  it('--list shows each entry, its schedule, last run and next run (text and --json)', async () => {
    const schedule = JSON.stringify({ nightly: { task: 'beat.tick', schedule: { crontab: { minute: '30', hour: '2' } }, args: [1] } });
    const env = { CELERIAC_BROKER_URL: url, BEAT_EVERY: '500', CELERIAC_BEAT_SCHEDULE: schedule, CELERIAC_TIMEZONE: 'Europe/Berlin' };
    const before = await runCli(['beat', '--list', '-A', './beat-app.js'], env);
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/^entry +task +schedule +last run +next run\n/);
    expect(before.stdout).toMatch(/\nnightly +beat\.tick +crontab\(30 2 \* \* \*\) +- +\d{4}-\d\d-\d\dT\d\d:30:00\.000Z\n/);
    expect(before.stdout).toMatch(/\ntick +beat\.tick +every 500ms +- +\d{4}-/);
    expect(before.stdout).toContain('(crontab times in Europe/Berlin; times shown in UTC)');

    const beat = start(['beat', '-A', './beat-app.js', '-l', 'info'], env);
    await beat.waitFor(/sending due task tick/);
    beat.child.kill('SIGTERM');
    expect(await beat.exited).toBe(0);
    const after = await runCli(['beat', '--list', '--json', '-A', './beat-app.js'], env);
    expect(after.code).toBe(0);
    const listed = JSON.parse(after.stdout) as { timezone: string; entries: { name: string; lastRun: number | null; nextRun: number }[] };
    expect(listed.timezone).toBe('Europe/Berlin');
    const tick = listed.entries.find((e) => e.name === 'tick')!;
    const stored = Number(await admin.hget('celeriac.beat', 'tick'));
    expect(tick.lastRun).toBe(stored);
    expect(tick.nextRun).toBe(stored + 500);
    // A crontab entry is first seen (its last run recorded) when a beat starts, and due at its next match.
    expect(listed.entries.find((e) => e.name === 'nightly')!.lastRun).toBeGreaterThan(0);
  });

  it('sends the entries of CELERIAC_BEAT_SCHEDULE (JSON) to their queues', async () => {
    const schedule = JSON.stringify({ 'env-tick': { task: 'beat.tick', schedule: { every: '300ms' }, args: [5], options: { queue: 'envq', priority: 0 } } });
    const beat = start(['beat', '-A', './beat-app.js', '-l', 'info'], { CELERIAC_BEAT_SCHEDULE: schedule });
    await beat.waitFor(/beat ready: app beat-fixture, broker redis:\/\/127\.0\.0\.1:\d+\/\d+, 1 entries: env-tick/);
    await beat.waitFor(/sending due task env-tick \(beat\.tick\)[\s\S]*sending due task env-tick/, 5_000);
    const raw = await admin.lrange('envq', 0, -1);
    expect(raw.length).toBeGreaterThanOrEqual(2);
    const msg = JSON.parse(raw[0]!) as { headers: { task: string }; body: string };
    expect(msg.headers.task).toBe('beat.tick');
    expect(JSON.parse(Buffer.from(msg.body, 'base64').toString())[0]).toEqual([5]);
    expect(await admin.sismember('celeriac.queues', 'envq')).toBe(1);
  });

  it('a bad schedule is a start-up error naming the entry (exit 1); an unknown task is a warning', async () => {
    const bad = await runCli(['beat', '-A', './beat-app.js'], {
      CELERIAC_BROKER_URL: url,
      CELERIAC_BEAT_SCHEDULE: JSON.stringify({ broken: { task: 'beat.tick', schedule: { every: 0 } } }),
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/CELERIAC_BEAT_SCHEDULE.*beatSchedule\["broken"\]\.schedule/);
    const cron = await runCli(['beat', '-A', './beat-app.js'], {
      CELERIAC_BROKER_URL: url,
      CELERIAC_BEAT_SCHEDULE: JSON.stringify({ nightly: { task: 'beat.tick', schedule: { crontab: { hour: '6-25' } } } }),
    });
    expect(cron.code).toBe(1);
    expect(cron.stderr).toMatch(/beatSchedule\["nightly"\]\.schedule: `hour` "6-25" is not a valid cron field/);
    const tz = await runCli(['beat', '-A', './beat-app.js'], { CELERIAC_BROKER_URL: url, CELERIAC_TIMEZONE: 'Europe/Atlantis' });
    expect(tz.code).toBe(1);
    expect(tz.stderr).toMatch(/CELERIAC_TIMEZONE.*Europe\/Atlantis.*IANA/);

    const py = start(['beat', '-A', './beat-app.js', '-l', 'info'], { CELERIAC_BEAT_SCHEDULE: JSON.stringify({ py: { task: 'proj.add', schedule: { every: '1h' } } }) });
    await py.waitFor(/beat ready/);
    expect(py.output).toMatch(/WARN celeriac: beat: entry "py" sends proj\.add, which this app does not register/);
  });

  it('refuses memory://, and a broker without a Redis to keep its state (amqp:// without a Redis result backend)', async () => {
    const mem = await runCli(['beat', '-A', './beat-app.js'], { BEAT_EVERY: '1000' });
    expect(mem.code).toBe(1);
    expect(mem.stderr).toMatch(/celeriac beat: the broker is memory:\/\/.*Set the broker/);
    const amqp = await runCli(['beat', '-A', './beat-app.js', '-b', 'amqp://guest:secret@127.0.0.1:1/'], { BEAT_EVERY: '1000' });
    expect(amqp.code).toBe(1);
    expect(amqp.stderr).toMatch(/cannot keep the beat's schedule state.*Set resultBackend to a Redis URL/);
    expect(amqp.stderr).not.toContain('secret');
  });
});

describe('celeriac worker -B', () => {
  it('runs a beat in the worker process: the periodic task is sent and run there', async () => {
    const w = start(['worker', '-A', './beat-app.js', '-B', '-Q', 'beat', '-l', 'info'], { BEAT_EVERY: '400' });
    await w.waitFor(/beat: started with 1 entry/);
    await w.waitFor(/beat\.tick\[[0-9a-f-]+\] succeeded[\s\S]*beat\.tick\[[0-9a-f-]+\] succeeded/, 5_000);
    const id = /sending due task tick \(beat\.tick\) \[([0-9a-f-]+)\]/.exec(w.output)![1]!;
    const meta = JSON.parse((await admin.get(`celery-task-meta-${id}`))!) as { status: string; result: unknown };
    expect(meta).toMatchObject({ status: 'SUCCESS', result: 42 });
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  });
});

describe("the README's beat section", () => {
  const EXAMPLE = join(CORE, 'examples/beat.js');

  it('shows examples/beat.js as it is; --list and worker -B work on it; a run missed while down fires at once', async () => {
    const { shown, actual } = readmeExample(join(CORE, '../../README.md'), EXAMPLE);
    expect(shown).toBe(actual);
    const env = { BROKER_URL: url };
    const list = await runCli(['beat', '-A', EXAMPLE, '--list'], env);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/\nadd-every-30-seconds +tasks\.add +every 30s +- +\d{4}-/);
    expect(list.stdout).toMatch(/\nmonthly-report +reports\.monthly +crontab\(0 6 1 \* \*\) +- +\d{4}-\d\d-01T0[45]:00:00\.000Z/);
    expect(list.stdout).toMatch(/\ncleanup-unactivated +users\.cleanup_unactivated +crontab\(\*\/10 \* \* \* \*\)/);
    expect(list.stdout).toContain('(crontab times in Europe/Berlin; times shown in UTC)');

    // The 30 s entry last ran 31 s ago (as if every beat had been down): the worker's beat sends it at once.
    await admin.hset('celeriac.beat', 'add-every-30-seconds', String(Date.now() - 31_000));
    const w = start(['worker', '-A', EXAMPLE, '-B', '-l', 'info'], env);
    await w.waitFor(/beat: started with 3 entries/);
    await w.waitFor(/tasks\.add\[[0-9a-f-]+\] succeeded/, 5_000);
    expect(w.output).toMatch(/beat: entry "cleanup-unactivated" sends users\.cleanup_unactivated, which this app does not register/);
    const id = /sending due task add-every-30-seconds \(tasks\.add\) \[([0-9a-f-]+)\]/.exec(w.output)![1]!;
    expect(JSON.parse((await admin.get(`celery-task-meta-${id}`))!)).toMatchObject({ status: 'SUCCESS', result: 32 });
    expect(w.output.match(/sending due task add-every-30-seconds/g)).toHaveLength(1);
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  });
});

describe('the Redis beat store', () => {
  it('claims each run once, also when the broker is not Redis (claim only; the winner sends)', async () => {
    const pool = new ConnectionPool(5_000);
    for (const atomic of [true, false]) {
      const store = new RedisBeatStore(pool.command(url), atomic, () => pool.releaseCommand(url));
      const entry = `e-${atomic}`;
      const first = await store.claim({ entry, last: null, due: 0 });
      expect(first.sent).toBe(false);
      const again = await store.claim({ entry, last: null, due: 0 });
      expect(again.last).toBe(first.last); // a second first sighting keeps the first
      const message = { queue: `q-${atomic}`, priority: 0, raw: '{"m":1}' };
      const early = await store.claim({ entry, last: first.last, due: first.now + 60_000, message });
      expect(early.sent).toBe(false);
      const claims = await Promise.all([1, 2, 3].map(() => store.claim({ entry, last: first.last, due: first.last, message })));
      expect(claims.filter((c) => c.sent)).toHaveLength(1);
      expect((await store.lastRuns()).get(entry)).toBe(claims.find((c) => c.sent)!.last);
      expect(await admin.llen(`q-${atomic}`)).toBe(atomic ? 1 : 0);
      await store.close();
    }
  });

  it('an app beat on Redis: addPeriodicTask entries are sent by app.beat() in-process', async () => {
    const app = createApp('lib', { broker: url, logger: { debug() {}, info() {}, warn() {}, error() {} } });
    try {
      app.addPeriodicTask('lib-tick', { task: 'lib.tick', schedule: every(200), options: { queue: 'libq' } });
      const beat = app.beat();
      await beat.start();
      await new Promise((r) => setTimeout(r, 700));
      await beat.close();
      const n = await admin.llen('libq');
      expect(n).toBeGreaterThanOrEqual(2);
      expect(n).toBeLessThanOrEqual(3);
    } finally {
      await app.close();
    }
  });
});
