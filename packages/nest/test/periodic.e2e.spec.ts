// @Periodic() and @Task({ schedule }): entries added to the app's schedule at module init (core's beat sends them),
// start-up errors naming the entry, and on a real redis-server two replicas of a Nest app, each with a worker and a
// beat (the module's `beat` option), running each due run of a decorated method exactly once.
import 'reflect-metadata';
import { Injectable, Module, Scope, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test, type TestingModule } from '@nestjs/testing';
import { ConfigurationError, crontab, every, type Celeriac, type Logger } from '@celeriac/core';
import { CELERIAC_APP, CeleriacModule, CeleriacWorker, Periodic, Task, currentTask } from '@celeriac/nest';
import { ownRedis } from '../../core/test/support/own-redis';

async function withModule<T>(providers: Type<unknown>[], fn: (app: Celeriac) => T | Promise<T>): Promise<T> {
  const m: TestingModule = await Test.createTestingModule({ imports: [CeleriacModule.forTest()], providers }).compile();
  await m.init();
  try {
    return await fn(m.get<Celeriac>(CELERIAC_APP));
  } finally {
    await m.close();
  }
}

async function initError(providers: Type<unknown>[]): Promise<Error> {
  const m = await Test.createTestingModule({ imports: [CeleriacModule.forTest()], providers }).compile();
  try {
    await m.init();
  } catch (err) {
    return err as Error;
  } finally {
    await m.close().catch(() => undefined);
  }
  throw new Error('expected module init to fail');
}

describe('periodic entries from decorators', () => {
  test('@Task({ schedule }) and stacked @Periodic() add entries at module init, in the order written', () => {
    @Injectable()
    class Jobs {
      @Task({ name: 'users.cleanup_unactivated', schedule: crontab({ minute: '*/10' }) })
      cleanup(): number {
        return 0;
      }

      @Periodic(every('1h'), { name: 'report-hourly', args: ['hourly'], options: { queue: 'reports', expires: 60_000 } })
      @Periodic({ crontab: { hour: '6', minute: '0', dayOfMonth: '1' } }, { name: 'report-monthly', kwargs: { period: 'month' } })
      report(period: string): string {
        return period;
      }

      @Periodic('30s') // a bare duration is every()'s; without @Task() the method is a task of default name
      tick(): void {}
    }
    return withModule([Jobs], (app) => {
      const s = app.beatSchedule;
      expect(Object.keys(s)).toEqual(['users.cleanup_unactivated', 'report-hourly', 'report-monthly', 'Jobs.tick']);
      expect(s['users.cleanup_unactivated']).toMatchObject({ task: 'users.cleanup_unactivated', schedule: { kind: 'crontab' }, args: [] });
      expect(s['report-hourly']).toMatchObject({ task: 'Jobs.report', schedule: { kind: 'every', ms: 3_600_000 }, args: ['hourly'], options: { queue: 'reports', expires: 60_000 } });
      expect(s['report-monthly']).toMatchObject({ task: 'Jobs.report', schedule: { kind: 'crontab', fields: { hour: '6', minute: '0', dayOfMonth: '1' } }, kwargs: { period: 'month' } });
      expect(s['Jobs.tick']).toMatchObject({ task: 'Jobs.tick', schedule: { kind: 'every', ms: 30_000 } });
      expect(app.registry.get('Jobs.tick')).toBeDefined();
    });
  });

  test('bad schedules and entries fail module init, naming the method and the entry', async () => {
    @Injectable()
    class BadCron {
      @Periodic({ crontab: { minute: '61' } }, { name: 'nightly' })
      run(): void {}
    }
    @Injectable()
    class ZeroInterval {
      @Task({ name: 'poll', schedule: '0s' })
      poll(): void {}
    }
    @Injectable()
    class Twice {
      @Periodic('1m')
      @Periodic('1h')
      run(): void {}
    }
    @Injectable()
    class BadOption {
      @Periodic('1m', { options: { queue: 'q', countdown: 5 } as never })
      run(): void {}
    }
    @Injectable({ scope: Scope.REQUEST })
    class PerRequest {
      @Periodic('1m')
      run(): void {}
    }
    const cron = await initError([BadCron]);
    expect(cron).toBeInstanceOf(ConfigurationError);
    expect(cron.message).toMatch(/^BadCron\.run, periodic entry "nightly": addPeriodicTask\["nightly"\]\.schedule: `minute` "61" is not a valid cron field/);
    expect((await initError([ZeroInterval])).message).toMatch(/^ZeroInterval\.poll, periodic entry "poll": addPeriodicTask\["poll"\]\.schedule: .*whole number of milliseconds > 0/);
    expect((await initError([Twice])).message).toMatch(/^Twice\.run, periodic entry "Twice\.run": .*already has an entry "Twice\.run" \(two entries of one name: give each @Periodic\(\) its own `name`\)/);
    expect((await initError([BadOption])).message).toMatch(/^BadOption\.run, periodic entry "BadOption\.run": Unknown option `countdown`/);
    expect((await initError([PerRequest])).message).toMatch(/PerRequest\.run uses @Periodic\(\), but PerRequest is request-scoped/);
  });

  test('the module option beat must be a boolean or beat options', async () => {
    const m = Test.createTestingModule({ imports: [CeleriacModule.forRoot({ broker: 'memory://', beat: 'yes' as never })] }).compile();
    await expect(m).rejects.toThrow('CeleriacModule option `beat` must be a boolean or beat options, got "yes"');
  });
});

describe('two replicas of a Nest app on Redis, each with a worker and a beat', () => {
  const own = ownRedis(2);
  const runs: string[] = [];

  @Injectable()
  class Heartbeat {
    @Task({ name: 'replicas.tick', schedule: every('1s') })
    tick(): void {
      runs.push(currentTask().id);
    }
  }

  function replica(url: string, lines: string[]): Type<unknown> {
    const logger: Logger = { debug: () => undefined, info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
    @Module({
      imports: [CeleriacModule.forRoot({ name: 'replicas', broker: url, backend: url, logger, worker: { concurrency: 2 }, beat: true })],
      providers: [Heartbeat],
    })
    class ReplicaModule {}
    return ReplicaModule;
  }

  test('each due run of the decorated method runs exactly once', async () => {
    const url = await own.freshUrl();
    const logs: string[][] = [[], []];
    const apps: INestApplicationContext[] = [];
    try {
      for (const lines of logs) {
        const ctx = await NestFactory.createApplicationContext(replica(url, lines), { logger: false, abortOnError: false });
        expect(ctx.get(CeleriacWorker).workers).toHaveLength(1);
        apps.push(ctx);
      }
      const deadline = Date.now() + 30_000;
      while (runs.length < 5) {
        if (Date.now() > deadline) throw new Error(`only ${runs.length} runs in 30 s:\n${logs.flat().join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await Promise.all(apps.map((a) => a.close()));
    }
    // Both replicas ran a beat; the sends they logged (task id, due time) are each one run, sent by one beat.
    for (const lines of logs) expect(lines.some((l) => /beat: started with 1 entry/.test(l))).toBe(true);
    const sends = logs.flat().flatMap((l) => [...l.matchAll(/beat: sending due task replicas\.tick \(replicas\.tick\) \[([0-9a-f-]+)\] due (\S+)/g)].map((m) => ({ id: m[1]!, due: m[2]! })));
    expect(new Set(sends.map((s) => s.due)).size).toBe(sends.length);
    expect(new Set(sends.map((s) => s.id)).size).toBe(sends.length);
    // Every run was one of those sends, and none ran twice.
    const ids = runs;
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => sends.some((s) => s.id === id))).toBe(true);
    expect(ids.length).toBeGreaterThanOrEqual(5);
  }, 60_000);
});
