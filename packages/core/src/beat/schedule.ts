// Schedules of periodic tasks: `every(ms | '30s')` and `crontab({ minute, hour, … })`, in Celery's semantics.
// The cron field arithmetic (ranges, steps, names, time zones, DST) is croner's; what Celery means by the
// fields (day of month AND day of week must both match; '*' by default) is set here.
import { Cron } from 'croner';
import { ConfigurationError, expected } from '../errors';

/** An interval: due at the last run plus `ms` (Celery's `last_run_at + run_every`). */
export interface IntervalSchedule {
  readonly kind: 'every';
  readonly ms: number;
}

/** Celery's crontab fields; each a cron field string (`'*\/15'`, `'1-5'`, `'mon-fri'`, `'0,30'`) or a number. */
export interface CrontabFields {
  minute?: string | number;
  hour?: string | number;
  dayOfWeek?: string | number;
  dayOfMonth?: string | number;
  monthOfYear?: string | number;
}

/** A crontab: due at the next time, after the last run, that every field matches (in the app's `timezone`). */
export interface CrontabSchedule {
  readonly kind: 'crontab';
  readonly fields: Readonly<Required<Record<keyof CrontabFields, string>>>;
}

export type Schedule = IntervalSchedule | CrontabSchedule;

/** The JSON form of a schedule (config files, `CELERIAC_BEAT_SCHEDULE`): `{ "every": "30s" }` or `{ "crontab": { … } }`. */
export type ScheduleJson = { every: string | number } | { crontab: CrontabFields };

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const FIELD_NAMES = ['minute', 'hour', 'dayOfMonth', 'monthOfYear', 'dayOfWeek'] as const;

/** `'500ms'`, `'30s'`, `'5m'`, `'2h'`, `'1d'` (or a number of ms) → ms. */
export function parseDuration(what: string, value: unknown): number {
  let ms: number | undefined;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
    if (m) ms = Number(m[1]) * UNITS[m[2]!]!;
  }
  if (ms === undefined || !Number.isFinite(ms)) throw expected(what, "a duration in ms or a string such as '30s', '5m', '2h', '500ms'", value);
  if (ms < 1 || !Number.isInteger(ms)) throw expected(what, 'a whole number of milliseconds > 0', value);
  return ms;
}

/** An interval schedule: `every(30_000)` or `every('30s')`. */
export function every(interval: number | string): IntervalSchedule {
  return Object.freeze({ kind: 'every', ms: parseDuration('every()', interval) });
}

/** Checks one field by letting croner parse a pattern where only that field is set. */
function checkField(name: keyof CrontabFields, value: unknown): string {
  if (value === undefined) return '*';
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  // NOTE: croner's own extensions (L, W, #, ?, +, seconds) are not Celery's syntax: refused here.
  const bad = typeof text !== 'string' || !/^[0-9a-zA-Z*/,-]+$/.test(text.trim()) || (text.match(/[a-zA-Z]+/g) ?? []).some((w) => w.length !== 3);
  if (bad) {
    throw expected(name, "a cron field such as '*', '*/15', '1-5', '0,30' or 'mon-fri'", value);
  }
  const field = (text as string).trim().toLowerCase();
  const pattern = FIELD_NAMES.map((f) => (f === name ? field : '*')).join(' ');
  try {
    new Cron(pattern, { paused: true });
  } catch (err) {
    const why = err instanceof Error ? err.message.replace(/^CronPattern:\s*/, '') : String(err);
    throw new ConfigurationError(`\`${name}\` ${JSON.stringify(value)} is not a valid cron field (${why})`);
  }
  return field;
}

/**
 * A crontab schedule, as Celery's `crontab(minute=…, hour=…, day_of_week=…, day_of_month=…, month_of_year=…)`:
 * each field defaults to `'*'` (`crontab()` is every minute). Day of week: 0 or 7 is Sunday, or `sun`–`sat`.
 */
export function crontab(fields: CrontabFields = {}): CrontabSchedule {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) throw expected('crontab()', 'an object { minute, hour, dayOfWeek, dayOfMonth, monthOfYear }', fields);
  for (const k of Object.keys(fields)) {
    if (!(FIELD_NAMES as readonly string[]).includes(k)) {
      throw new ConfigurationError(`Unknown crontab field \`${k}\` (fields: ${FIELD_NAMES.join(', ')})`);
    }
  }
  const out = {} as Record<keyof CrontabFields, string>;
  for (const f of FIELD_NAMES) out[f] = checkField(f, fields[f]);
  const schedule: CrontabSchedule = Object.freeze({ kind: 'crontab', fields: Object.freeze(out) });
  if (nextDue(schedule, Date.now(), 'UTC') === null) {
    throw new ConfigurationError(`crontab ${describeSchedule(schedule)} matches no date (day of month and day of week must both match, in a month that has that day)`);
  }
  return schedule;
}

/** Whether `v` is a schedule made by every() / crontab(). */
export function isSchedule(v: unknown): v is Schedule {
  const s = v as Schedule | null;
  return typeof s === 'object' && s !== null && ((s.kind === 'every' && typeof s.ms === 'number') || (s.kind === 'crontab' && typeof s.fields === 'object'));
}

/** A schedule from a Schedule or its JSON form; errors name `what`. */
export function toSchedule(what: string, value: unknown): Schedule {
  try {
    if (isSchedule(value)) return value.kind === 'every' ? every(value.ms) : crontab(value.fields);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const keys = Object.keys(value);
      if (keys.length === 1 && 'every' in value) return every((value as { every: string | number }).every);
      if (keys.length === 1 && 'crontab' in value) return crontab((value as { crontab: CrontabFields }).crontab);
    }
  } catch (err) {
    if (err instanceof ConfigurationError) throw new ConfigurationError(`${what}: ${err.message}`);
    throw err;
  }
  throw expected(what, "every(…) or crontab({…}), or JSON { \"every\": \"30s\" } / { \"crontab\": { \"minute\": \"0\" } }", value);
}

/** Whether `tz` is an IANA time zone name this Node knows. */
export function checkTimezone(what: string, tz: unknown): string {
  if (typeof tz !== 'string' || !tz) throw expected(what, "an IANA time zone name such as 'UTC' or 'Europe/Berlin'", tz);
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new ConfigurationError(`\`${what}\` is ${JSON.stringify(tz)}, which is not a known IANA time zone (e.g. 'UTC', 'Europe/Berlin', 'America/New_York')`);
  }
  return tz;
}

const crons = new WeakMap<CrontabSchedule, Map<string, Cron>>();

function cronOf(s: CrontabSchedule, timezone: string): Cron {
  let byTz = crons.get(s);
  if (!byTz) crons.set(s, (byTz = new Map()));
  let c = byTz.get(timezone);
  if (!c) {
    const f = s.fields;
    // NOTE: domAndDow: Celery runs a crontab only on days matching both day of month and day of week (cron ORs them).
    c = new Cron(`${f.minute} ${f.hour} ${f.dayOfMonth} ${f.monthOfYear} ${f.dayOfWeek}`, { paused: true, timezone, domAndDow: true });
    byTz.set(timezone, c);
  }
  return c;
}

/** When a schedule is next due after its last run (epoch ms), in `timezone`; null when it never is again. */
export function nextDue(s: Schedule, lastRun: number, timezone: string): number | null {
  if (s.kind === 'every') return lastRun + s.ms;
  const next = cronOf(s, timezone).nextRun(new Date(lastRun));
  return next ? next.getTime() : null;
}

/** `every 30s`, `crontab(0 6 1 * *)`: for logs and `celeriac beat --list`. */
export function describeSchedule(s: Schedule): string {
  if (s.kind === 'every') {
    const ms = s.ms;
    for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1_000]] as const) {
      if (ms % size === 0) return `every ${ms / size}${unit}`;
    }
    return `every ${ms}ms`;
  }
  const f = s.fields;
  return `crontab(${f.minute} ${f.hour} ${f.dayOfMonth} ${f.monthOfYear} ${f.dayOfWeek})`;
}
