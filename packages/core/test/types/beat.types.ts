// Compile-time tests of the beat's public types: `tsc -p packages/core/test/tsconfig.json` fails if a line marked
// `@ts-expect-error` compiles or if any other line does not. Nothing here runs.
import { createApp, crontab, every, type BeatEntry, type BeatEntryInfo, type Schedule } from '@celeriac/core';

export async function beatTypeTests(): Promise<void> {
  const app = createApp('types', {
    beatSchedule: {
      a: { task: 't', schedule: every(1000), args: [1, 'x'], kwargs: { k: 1 }, options: { queue: 'q', priority: 3, expires: 1000 } },
      b: { task: 't', schedule: crontab({ minute: '*/15', hour: 6, dayOfWeek: 'mon-fri', dayOfMonth: '1-7', monthOfYear: 'jan' }) },
      c: { task: 't', schedule: { every: '30s' } },
      d: { task: 't', schedule: { crontab: { minute: '0' } } },
    },
    timezone: 'Europe/Berlin',
  });
  const entry: BeatEntry = { task: 't', schedule: every('5m') };
  app.addPeriodicTask('e', entry);
  // @ts-expect-error a schedule is every()/crontab() or its JSON form, not a bare number
  app.addPeriodicTask('f', { task: 't', schedule: 30 });
  // @ts-expect-error options a periodic send cannot carry
  app.addPeriodicTask('g', { task: 't', schedule: every(1), options: { countdown: 5 } });
  // @ts-expect-error crontab fields are Celery's (no seconds)
  crontab({ second: '0' });
  const s: Schedule = app.beatSchedule.a!.schedule as Schedule;
  void s;
  const beat = app.beat({ maxInterval: 1000 });
  await beat.start();
  const rows: BeatEntryInfo[] = await beat.list();
  const next: number | null = rows[0]!.nextRun;
  void next;
  await beat.close();
}
