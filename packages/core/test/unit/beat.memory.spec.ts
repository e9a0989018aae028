// The beat schedule in settings, CELERIAC_BEAT_SCHEDULE and app.addPeriodicTask; start-up errors; and a beat
// running in-process on memory:// (several beats there still send each run once).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError, createApp, crontab, every, type Celeriac, type Logger } from '@celeriac/core';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

let n = 0;
const memoryUrl = () => `memory://beat-${process.pid}-${++n}`;

describe('beatSchedule and timezone settings', () => {
  it('takes every()/crontab() and their JSON forms, with args, kwargs and options', () => {
    const app = createApp('shop', {
      beatSchedule: {
        'add-every-30-seconds': { task: 'task.add', schedule: every('30s'), args: [16, 16] },
        'mail-monday': { task: 'mail.digest', schedule: crontab({ hour: 7, minute: 30, dayOfWeek: 1 }), kwargs: { to: 'all' }, options: { queue: 'mail', priority: 3, expires: 60_000 } },
        json: { task: 'x', schedule: { crontab: { minute: '0', hour: '6', dayOfMonth: '1' } } },
        json2: { task: 'x', schedule: { every: 1000 } },
      },
      timezone: 'Europe/Berlin',
    });
    expect(Object.keys(app.settings.beatSchedule)).toEqual(['add-every-30-seconds', 'mail-monday', 'json', 'json2']);
    expect(app.settings.beatSchedule.json!.schedule).toEqual({ kind: 'crontab', fields: { minute: '0', hour: '6', dayOfMonth: '1', monthOfYear: '*', dayOfWeek: '*' } });
    expect(app.settings.beatSchedule.json2!.schedule).toEqual({ kind: 'every', ms: 1000 });
    expect(app.settings.timezone).toBe('Europe/Berlin');
    expect(createApp('x').settings.timezone).toBe('UTC');
  });

  it.each<[string, unknown, RegExp]>([
    ['a zero interval', { e: { task: 't', schedule: { every: 0 } } }, /beatSchedule\["e"\]\.schedule.*every\(\)/],
    ['a negative interval', { e: { task: 't', schedule: { every: '-5s' } } }, /beatSchedule\["e"\]\.schedule/],
    ['an invalid cron field', { nightly: { task: 't', schedule: { crontab: { hour: '25' } } } }, /beatSchedule\["nightly"\]\.schedule: `hour` "25" is not a valid cron field/],
    ['an unknown crontab field', { e: { task: 't', schedule: { crontab: { minutes: '5' } } } }, /beatSchedule\["e"\]\.schedule: Unknown crontab field `minutes`/],
    ['no schedule', { e: { task: 't' } }, /beatSchedule\["e"\] has no schedule/],
    ['no task', { e: { schedule: { every: '1s' } } }, /beatSchedule\["e"\]\.task/],
    ['a schedule of another shape', { e: { task: 't', schedule: 30 } }, /beatSchedule\["e"\]\.schedule/],
    ['args that are not an array', { e: { task: 't', schedule: { every: '1s' }, args: 5 } }, /beatSchedule\["e"\]\.args/],
    ['an unknown option', { e: { task: 't', schedule: { every: '1s' }, options: { countdown: 5 } } }, /Unknown option `countdown` in beatSchedule\["e"\]\.options/],
    ['a bad priority', { e: { task: 't', schedule: { every: '1s' }, options: { priority: 12 } } }, /beatSchedule\["e"\]\.options\.priority/],
    ['an unknown key', { e: { task: 't', schedule: { every: '1s' }, kwarg: {} } }, /Unknown key `kwarg` in beatSchedule\["e"\]/],
  ])('refuses %s, naming the entry', (_, beatSchedule, message) => {
    expect(() => createApp('x', { beatSchedule } as never)).toThrow(ConfigurationError);
    expect(() => createApp('x', { beatSchedule } as never)).toThrow(message);
  });

  it('refuses an unknown time zone', () => {
    expect(() => createApp('x', { timezone: 'Mars/Olympus' })).toThrow(/`timezone` is "Mars\/Olympus", which is not a known IANA time zone/);
  });

  it('reads CELERIAC_BEAT_SCHEDULE (JSON) and CELERIAC_TIMEZONE', () => {
    const app = createApp('x').configFromEnv('CELERIAC', {
      CELERIAC_BEAT_SCHEDULE: JSON.stringify({ cleanup: { task: 'users.cleanup', schedule: { every: '10m' } }, report: { task: 'r', schedule: { crontab: { minute: '0', hour: '6' } }, args: [1] } }),
      CELERIAC_TIMEZONE: 'America/New_York',
    });
    expect(app.settings.beatSchedule.cleanup!.schedule).toEqual({ kind: 'every', ms: 600_000 });
    expect(app.settings.beatSchedule.report!.args).toEqual([1]);
    expect(app.settings.timezone).toBe('America/New_York');
    expect(() => createApp('x').configFromEnv('CELERIAC', { CELERIAC_BEAT_SCHEDULE: '{nope' })).toThrow(/CELERIAC_BEAT_SCHEDULE must be JSON such as/);
    expect(() => createApp('x').configFromEnv('CELERIAC', { CELERIAC_BEAT_SCHEDULE: '{"e":{"task":"t","schedule":{"crontab":{"hour":"x"}}}}' })).toThrow(
      /CELERIAC_BEAT_SCHEDULE.*beatSchedule\["e"\]\.schedule/,
    );
    expect(() => createApp('x').configFromEnv('CELERIAC', { CELERIAC_TIMEZONE: 'Nowhere' })).toThrow(/CELERIAC_TIMEZONE.*Nowhere/);
  });
});

describe('app.addPeriodicTask()', () => {
  it('adds entries next to the setting; a bad one throws naming it; a taken name is an error', () => {
    const app = createApp('x', { beatSchedule: { a: { task: 't', schedule: every('1m') } } });
    app.addPeriodicTask('b', { task: 't', schedule: crontab({ minute: '*/5' }) });
    expect(Object.keys(app.beatSchedule)).toEqual(['a', 'b']);
    expect(Object.keys(app.settings.beatSchedule)).toEqual(['a']);
    expect(() => app.addPeriodicTask('c', { task: 't', schedule: { every: 0 } })).toThrow(/addPeriodicTask\["c"\]\.schedule/);
    expect(() => app.addPeriodicTask('a', { task: 't', schedule: every('1m') })).toThrow(/already has an entry "a"/);
    expect(() => app.addPeriodicTask('', { task: 't', schedule: every('1m') })).toThrow(/name/);
  });

  it('entries added in code stay when the setting is set later (configFromEnv after addPeriodicTask)', () => {
    const app = createApp('x');
    app.addPeriodicTask('code', { task: 't', schedule: every('1m') });
    app.configFromEnv('CELERIAC', { CELERIAC_BEAT_SCHEDULE: '{"env":{"task":"t","schedule":{"every":"5m"}}}' });
    expect(Object.keys(app.beatSchedule).sort()).toEqual(['code', 'env']);
    expect(() => app.addPeriodicTask('env', { task: 't', schedule: every('1m') })).toThrow(/already has an entry "env"/);
  });
});

describe('beat on memory:// (in-process)', () => {
  let app: Celeriac;
  afterEach(async () => {
    await app.close();
  });

  it('sends an interval entry at last run + interval; two beats in the process still send each run once', async () => {
    const logger = memoryLogger();
    app = createApp('beat-mem', { broker: memoryUrl(), logger });
    const seen: number[] = [];
    app.task('beat.tick', (x: number) => void seen.push(x));
    app.addPeriodicTask('tick', { task: 'beat.tick', schedule: every(200), args: [7] });
    const worker = app.worker({ queues: ['celery'] });
    await worker.start();
    const b1 = app.beat();
    const b2 = app.beat();
    await Promise.all([b1.start(), b2.start()]);
    const t0 = Date.now();
    await sleep(1_100);
    await Promise.all([b1.close(), b2.close()]);
    const elapsed = Date.now() - t0;
    await worker.onIdle();
    await sleep(50);
    // First due one interval after the entry was first seen (Celery's rule), then every 200 ms.
    expect(seen.length).toBeGreaterThanOrEqual(Math.floor(elapsed / 200) - 1);
    expect(seen.length).toBeLessThanOrEqual(Math.floor(elapsed / 200));
    expect(seen.every((x) => x === 7)).toBe(true);
    const sends = logger.lines.filter((l) => l.startsWith('info beat: sending due task tick (beat.tick)'));
    expect(sends).toHaveLength(seen.length);
  });

  it('a closed beat sends nothing more; a restarted one neither re-fires nor skips', async () => {
    app = createApp('beat-mem', { broker: memoryUrl(), logger: memoryLogger() });
    app.addPeriodicTask('tick', { task: 'beat.none', schedule: every(300) });
    const b = app.beat({ logger: memoryLogger() });
    await b.start();
    await sleep(450);
    await b.close();
    const before = await app.broker.queueLength('celery');
    expect(before).toBe(1);
    const [info] = await b.list();
    await sleep(100);
    const b2 = app.beat({ logger: memoryLogger() });
    await b2.start();
    expect(await app.broker.queueLength('celery')).toBe(1); // no re-fire at start
    await sleep(info!.nextRun! - Date.now() + 100);
    expect(await app.broker.queueLength('celery')).toBe(2); // due at last run + 300 ms: not skipped
    await b2.close();
  });

  it('after downtime a missed run fires once, not once per missed interval', async () => {
    app = createApp('beat-mem', { broker: memoryUrl(), logger: memoryLogger() });
    app.addPeriodicTask('tick', { task: 'beat.none', schedule: every(100) });
    const b = app.beat({ logger: memoryLogger() });
    await b.start();
    await b.close(); // recorded now as the entry's first sighting
    await sleep(650); // ~6 intervals missed
    const b2 = app.beat({ logger: memoryLogger() });
    await b2.start();
    expect(await app.broker.queueLength('celery')).toBe(1);
    await b2.close();
  });

  it('warns about tasks it does not register; arguments that cannot be sent are a start-up error naming the entry', async () => {
    const logger = memoryLogger();
    app = createApp('beat-mem', { broker: memoryUrl(), logger });
    app.addPeriodicTask('py', { task: 'proj.add', schedule: every('1h'), args: [1, 2] });
    const b = app.beat();
    await b.start();
    await b.close();
    expect(logger.lines).toContainEqual(expect.stringMatching(/^warn beat: entry "py" sends proj\.add, which this app does not register/));
    app.addPeriodicTask('bad', { task: 'proj.add', schedule: every('1h'), args: [() => 1] });
    await expect(app.beat().start()).rejects.toThrow(/beatSchedule\["bad"\]: .*function/i);
  });

  it('list() shows each entry with its schedule, last run and next run', async () => {
    app = createApp('beat-mem', { broker: memoryUrl(), logger: memoryLogger(), timezone: 'Europe/Berlin' });
    app.addPeriodicTask('daily', { task: 't', schedule: crontab({ hour: 6, minute: 0 }) });
    const b = app.beat();
    expect((await b.list())[0]).toMatchObject({ name: 'daily', task: 't', schedule: 'crontab(0 6 * * *)', lastRun: null });
    await b.start();
    await b.close();
    const [daily] = await b.list();
    expect(daily!.lastRun).toBeGreaterThan(Date.now() - 5_000);
    expect(new Date(daily!.nextRun!).toLocaleString('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit' })).toBe('06:00');
  });
});

test('beat/ never imports the app (no import cycle: the app imports beat/)', () => {
  const dir = join(__dirname, '../../src/beat');
  for (const f of readdirSync(dir)) {
    const src = readFileSync(join(dir, f), 'utf8');
    expect({ file: f, importsApp: /from '\.\.\/app'/.test(src) }).toEqual({ file: f, importsApp: false });
  }
});

describe('the memory beat store', () => {
  it('claims each run once, also when the claims come in the millisecond of the last run', async () => {
    const app = createApp('claims', { broker: memoryUrl() });
    const store = app.broker.beatStore!();
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_700_000_000_000);
    try {
      const first = await store.claim({ entry: 'e', last: null, due: 0 });
      const message = { queue: 'celery', priority: 0, raw: '{"m":1}' };
      // NOTE: due at once and in the same millisecond: the first winner must still change what the others read.
      const claims = [];
      for (let i = 0; i < 3; i++) claims.push(await store.claim({ entry: 'e', last: first.last, due: first.last, message }));
      expect(claims.filter((c) => c.sent)).toHaveLength(1);
      expect((await store.lastRuns()).get('e')).toBe(claims.find((c) => c.sent)!.last);
      expect(await app.broker.queueLength('celery')).toBe(1);
    } finally {
      now.mockRestore();
      await app.close();
    }
  });
});
