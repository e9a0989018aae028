// every() and crontab() in Celery's semantics, with an injected clock (the last run given to nextDue):
// month ends, leap days, DST changes in non-UTC time zones, and day of month AND day of week.
import { ConfigurationError, crontab, describeSchedule, every, nextDue, type CrontabFields } from '@celeriac/core';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The next `n` due times after `from`, each computed from the previous one (as a beat does). */
function runs(fields: CrontabFields, from: string, n: number, tz = 'UTC'): (string | null)[] {
  const s = crontab(fields);
  const out: (string | null)[] = [];
  let last = at(from);
  for (let i = 0; i < n; i++) {
    const next = nextDue(s, last, tz);
    out.push(iso(next));
    if (next === null) break;
    last = next;
  }
  return out;
}

/** Brute force, minute by minute in UTC: Celery's rule written out (every field matches; dom AND dow). */
function oracle(fields: { minute: number[]; hour: number[]; dom: number[]; month: number[]; dow: number[] }, from: number): number {
  let t = Math.floor(from / 60_000) * 60_000 + 60_000;
  for (;;) {
    const d = new Date(t);
    if (
      fields.minute.includes(d.getUTCMinutes()) &&
      fields.hour.includes(d.getUTCHours()) &&
      fields.dom.includes(d.getUTCDate()) &&
      fields.month.includes(d.getUTCMonth() + 1) &&
      fields.dow.includes(d.getUTCDay())
    ) {
      return t;
    }
    t += 60_000;
  }
}
const range = (a: number, b: number, step = 1) => Array.from({ length: Math.floor((b - a) / step) + 1 }, (_, i) => a + i * step);

describe('every()', () => {
  it('takes ms or a duration string', () => {
    expect(every(1000).ms).toBe(1000);
    expect(every('30s').ms).toBe(30_000);
    expect(every('5m').ms).toBe(300_000);
    expect(every('2h').ms).toBe(7_200_000);
    expect(every('1d').ms).toBe(86_400_000);
    expect(every('250ms').ms).toBe(250);
    expect(every('1.5s').ms).toBe(1500);
    expect(describeSchedule(every('30s'))).toBe('every 30s');
  });

  it('is due at the last run plus the interval (Celery: last_run_at + run_every)', () => {
    expect(nextDue(every('30s'), at('2026-01-01T00:00:10.250Z'), 'UTC')).toBe(at('2026-01-01T00:00:40.250Z'));
  });

  it.each([[0], [-5], [1.5], [NaN], ['0s'], ['30'], ['abc'], ['10 years'], [null]])('refuses %p', (v) => {
    expect(() => every(v as number)).toThrow(ConfigurationError);
    expect(() => every(v as number)).toThrow(/every\(\)/);
  });
});

describe('crontab(): fields', () => {
  it('defaults every field to * (every minute)', () => {
    expect(runs({}, '2026-01-01T10:07:30Z', 2)).toEqual(['2026-01-01T10:08:00.000Z', '2026-01-01T10:09:00.000Z']);
  });

  it("steps and lists: minute '*/15', minute '0,30'", () => {
    expect(runs({ minute: '*/15' }, '2026-01-01T10:07:00Z', 3)).toEqual(['2026-01-01T10:15:00.000Z', '2026-01-01T10:30:00.000Z', '2026-01-01T10:45:00.000Z']);
    expect(runs({ minute: '0,30', hour: 6 }, '2026-01-01T06:10:00Z', 2)).toEqual(['2026-01-01T06:30:00.000Z', '2026-01-02T06:00:00.000Z']);
  });

  it("ranges: hour '1-5'; names: dayOfWeek 'mon-fri'; numbers as numbers", () => {
    expect(runs({ minute: 0, hour: '1-5' }, '2026-01-01T05:30:00Z', 2)).toEqual(['2026-01-02T01:00:00.000Z', '2026-01-02T02:00:00.000Z']);
    // 2026-01-02 is a Friday: the next weekday 09:00 after Friday 10:00 is Monday.
    expect(runs({ minute: 0, hour: 9, dayOfWeek: 'mon-fri' }, '2026-01-02T10:00:00Z', 2)).toEqual(['2026-01-05T09:00:00.000Z', '2026-01-06T09:00:00.000Z']);
    expect(runs({ minute: 0, hour: 9, dayOfWeek: 'MON-FRI' }, '2026-01-02T10:00:00Z', 1)).toEqual(['2026-01-05T09:00:00.000Z']);
    expect(runs({ minute: 0, hour: 0, dayOfWeek: 'sun' }, '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-04T00:00:00.000Z']);
    expect(runs({ minute: 0, hour: 0, dayOfWeek: 0 }, '2026-01-01T00:00:00Z', 1)).toEqual(runs({ minute: 0, hour: 0, dayOfWeek: 7 }, '2026-01-01T00:00:00Z', 1));
    expect(runs({ minute: 0, hour: 0, monthOfYear: 'mar' }, '2026-01-01T00:00:00Z', 1)).toEqual(['2026-03-01T00:00:00.000Z']);
  });

  it('the seed documents\' crontabs: crontab(minute=1), crontab(hour=6, minute=0, day_of_month=1)', () => {
    expect(runs({ minute: 1 }, '2026-01-01T10:01:00Z', 2)).toEqual(['2026-01-01T11:01:00.000Z', '2026-01-01T12:01:00.000Z']);
    expect(runs({ hour: 6, minute: 0, dayOfMonth: '1' }, '2026-01-01T06:00:00Z', 2)).toEqual(['2026-02-01T06:00:00.000Z', '2026-03-01T06:00:00.000Z']);
  });

  it.each<[CrontabFields, RegExp]>([
    [{ minute: '61' }, /minute.*61/],
    [{ hour: '24' }, /hour/],
    [{ dayOfWeek: 'funday' }, /dayOfWeek/],
    [{ dayOfMonth: '0' }, /dayOfMonth/],
    [{ monthOfYear: '13' }, /monthOfYear/],
    [{ minute: '*/0' }, /minute/],
    [{ minute: 'L' }, /minute/],
    [{ dayOfMonth: '15W' }, /dayOfMonth/],
    [{ dayOfWeek: 'mon#2' }, /dayOfWeek/],
    [{ minute: '' }, /minute/],
    [{ minute: 1.5 }, /minute/],
    [{ dayOfMonth: 30, monthOfYear: 2 }, /matches no date/],
    [{ second: '0' } as CrontabFields, /Unknown crontab field `second`/],
  ])('refuses %p', (fields, message) => {
    expect(() => crontab(fields)).toThrow(ConfigurationError);
    expect(() => crontab(fields)).toThrow(message);
  });
});

describe('crontab(): day of month AND day of week (Celery: both must match)', () => {
  it('the 1st only when it is a Monday', () => {
    // 2026: the first Monday that is a 1st is June 1st; then February 1st, 2027.
    expect(runs({ minute: 0, hour: 0, dayOfMonth: '1', dayOfWeek: 'mon' }, '2026-01-01T00:00:00Z', 2)).toEqual(['2026-06-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z']);
  });

  it('Friday the 13th', () => {
    expect(runs({ minute: 0, hour: 12, dayOfMonth: 13, dayOfWeek: 'fri' }, '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-02-13T12:00:00.000Z',
      '2026-03-13T12:00:00.000Z',
      '2026-11-13T12:00:00.000Z',
    ]);
  });

  it('the first Monday of the month: dayOfMonth 1-7 AND dayOfWeek mon', () => {
    expect(runs({ minute: 0, hour: 8, dayOfMonth: '1-7', dayOfWeek: 1 }, '2026-01-01T00:00:00Z', 3)).toEqual([
      '2026-01-05T08:00:00.000Z',
      '2026-02-02T08:00:00.000Z',
      '2026-03-02T08:00:00.000Z',
    ]);
  });

  it('agrees with a minute-by-minute oracle over two years of dom/dow combinations', () => {
    const cases: [CrontabFields, Parameters<typeof oracle>[0]][] = [
      [{ minute: '30', hour: '*/6', dayOfMonth: '1-10', dayOfWeek: 'sat,sun' }, { minute: [30], hour: [0, 6, 12, 18], dom: range(1, 10), month: range(1, 12), dow: [6, 0] }],
      [{ minute: '0', hour: '0', dayOfMonth: '31', dayOfWeek: 'tue' }, { minute: [0], hour: [0], dom: [31], month: range(1, 12), dow: [2] }],
      [{ minute: '15', hour: '9-17/4', dayOfMonth: '*/2', monthOfYear: '2-3', dayOfWeek: 'mon-wed' }, { minute: [15], hour: [9, 13, 17], dom: range(1, 31, 2), month: [2, 3], dow: [1, 2, 3] }],
      [{ minute: '0', hour: '0', dayOfMonth: '29', monthOfYear: '2', dayOfWeek: '*' }, { minute: [0], hour: [0], dom: [29], month: [2], dow: range(0, 6) }],
    ];
    for (const [fields, o] of cases) {
      const s = crontab(fields);
      let last = at('2026-01-01T00:00:00Z');
      for (let i = 0; i < 12 && last < at('2032-01-01T00:00:00Z'); i++) {
        const next = nextDue(s, last, 'UTC')!;
        expect(iso(next)).toBe(iso(oracle(o, last)));
        last = next;
      }
    }
  });
});

describe('crontab(): month ends and leap days', () => {
  it('day 31 skips the months that have none', () => {
    expect(runs({ minute: 0, hour: 0, dayOfMonth: 31 }, '2026-01-31T00:00:00Z', 3)).toEqual(['2026-03-31T00:00:00.000Z', '2026-05-31T00:00:00.000Z', '2026-07-31T00:00:00.000Z']);
  });

  it('crosses the end of a month and of a year', () => {
    expect(runs({ minute: '*/30', hour: 23 }, '2026-12-31T23:45:00Z', 1)).toEqual(['2027-01-01T23:00:00.000Z']);
    expect(runs({ minute: 0, hour: 0, dayOfMonth: '28-31' }, '2026-02-28T00:00:00Z', 2)).toEqual(['2026-03-28T00:00:00.000Z', '2026-03-29T00:00:00.000Z']);
  });

  it('February 29th comes every four years', () => {
    expect(runs({ minute: 0, hour: 0, dayOfMonth: 29, monthOfYear: 2 }, '2026-03-01T00:00:00Z', 2)).toEqual(['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z']);
    expect(runs({ minute: 0, hour: 0, dayOfMonth: 29, monthOfYear: 2, dayOfWeek: 'thu' }, '2026-03-01T00:00:00Z', 1)).toEqual(['2052-02-29T00:00:00.000Z']);
  });

  it('an interval crosses a leap day by its length in ms', () => {
    expect(iso(nextDue(every('1d'), at('2028-02-28T12:00:00Z'), 'UTC'))).toBe('2028-02-29T12:00:00.000Z');
  });
});

describe('crontab(): time zones and DST (Europe/Berlin, America/New_York)', () => {
  it('a daily time follows the zone: 09:00 Berlin is 08:00Z in winter, 07:00Z in summer', () => {
    expect(runs({ minute: 0, hour: 9 }, '2026-03-27T12:00:00Z', 3, 'Europe/Berlin')).toEqual(['2026-03-28T08:00:00.000Z', '2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z']);
  });

  it('spring forward: 02:30 does not exist on 2026-03-29 in Berlin, it runs once at 03:00 that day', () => {
    expect(runs({ minute: 30, hour: 2 }, '2026-03-28T12:00:00Z', 3, 'Europe/Berlin')).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
  });

  it('fall back: 02:30 happens twice on 2026-10-25 in Berlin, it runs once (the first)', () => {
    expect(runs({ minute: 30, hour: 2 }, '2026-10-24T12:00:00Z', 3, 'Europe/Berlin')).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']);
  });

  it('an hourly crontab runs every real hour through both changes (no gap, no double run)', () => {
    expect(runs({ minute: 0 }, '2026-03-28T23:30:00Z', 3, 'Europe/Berlin')).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z']);
    expect(runs({ minute: 0 }, '2026-10-24T23:30:00Z', 3, 'Europe/Berlin')).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z']);
  });

  it('New York: weekday 08:00 local across the March change', () => {
    // 2026-03-08: DST starts in the US. Friday 6th 08:00 EST = 13:00Z; Monday 9th 08:00 EDT = 12:00Z.
    expect(runs({ minute: 0, hour: 8, dayOfWeek: 'mon-fri' }, '2026-03-05T14:00:00Z', 2, 'America/New_York')).toEqual(['2026-03-06T13:00:00.000Z', '2026-03-09T12:00:00.000Z']);
  });

  it('day of month AND day of week are read in the zone (Monday the 1st in Tokyo is Sunday the 31st in UTC)', () => {
    // 2026-06-01 is a Monday; 00:30 in Tokyo is 15:30Z on Sunday, May 31st.
    expect(runs({ minute: 30, hour: 0, dayOfMonth: 1, dayOfWeek: 'mon' }, '2026-01-01T00:00:00Z', 1, 'Asia/Tokyo')).toEqual(['2026-05-31T15:30:00.000Z']);
  });
});
