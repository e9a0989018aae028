// Entries of the beat schedule (Celery's beat_schedule): which task, when, with what arguments and options.
import { ConfigurationError, expected } from '../errors';
import { toSchedule, type Schedule, type ScheduleJson } from './schedule';

/** Options a periodic send may carry (the rest of a call's options make no sense on a schedule). */
export interface PeriodicOptions {
  queue?: string;
  priority?: number;
  /** Not run if it waited longer than this many ms after it was sent (stored as REVOKED). */
  expires?: number;
  timeLimit?: number;
  ignoreResult?: boolean;
}

/**
 * One periodic task: `{ task: 'users.cleanup', schedule: every('10m'), args: [], kwargs: {}, options: { queue } }`.
 * `schedule` may also be the JSON form `{ every: '30s' }` / `{ crontab: { minute: '0' } }`.
 */
export interface BeatEntry {
  task: string;
  schedule: Schedule | ScheduleJson;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  options?: PeriodicOptions;
}

/** An entry after checking: its schedule a Schedule. */
export interface CheckedEntry {
  readonly name: string;
  readonly task: string;
  readonly schedule: Schedule;
  readonly args: readonly unknown[];
  readonly kwargs: Readonly<Record<string, unknown>>;
  readonly options: Readonly<PeriodicOptions>;
}

const ENTRY_KEYS = ['task', 'schedule', 'args', 'kwargs', 'options'];
const OPTION_KEYS = ['queue', 'priority', 'expires', 'timeLimit', 'ignoreResult'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkOptions(at: string, o: unknown): PeriodicOptions {
  if (o === undefined) return {};
  if (!isObject(o)) throw expected(at, 'an object { queue, priority, expires, timeLimit, ignoreResult }', o);
  for (const [k, v] of Object.entries(o)) {
    if (!OPTION_KEYS.includes(k)) throw new ConfigurationError(`Unknown option \`${k}\` in ${at} (options: ${OPTION_KEYS.join(', ')})`);
    if (v === undefined) continue;
    if (k === 'queue' && (typeof v !== 'string' || !v)) throw expected(`${at}.queue`, 'a non-empty string', v);
    if (k === 'priority' && (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 9)) throw expected(`${at}.priority`, 'an integer from 0 to 9', v);
    if ((k === 'expires' || k === 'timeLimit') && (typeof v !== 'number' || !Number.isInteger(v) || v < 1)) throw expected(`${at}.${k}`, 'a whole number of milliseconds > 0', v);
    if (k === 'ignoreResult' && typeof v !== 'boolean') throw expected(`${at}.ignoreResult`, 'a boolean', v);
  }
  return o as PeriodicOptions;
}

/** Checks one entry; every error names it (`beatSchedule["cleanup"].schedule: …`). */
export function checkEntry(name: string, entry: unknown, source = 'beatSchedule'): CheckedEntry {
  const at = `${source}["${name}"]`;
  if (!name) throw new ConfigurationError(`${source}: an entry needs a non-empty name`);
  if (!isObject(entry)) throw expected(at, 'an object { task, schedule, args, kwargs, options }', entry);
  for (const k of Object.keys(entry)) {
    if (!ENTRY_KEYS.includes(k)) throw new ConfigurationError(`Unknown key \`${k}\` in ${at} (keys: ${ENTRY_KEYS.join(', ')})`);
  }
  if (typeof entry.task !== 'string' || !entry.task) throw expected(`${at}.task`, 'a task name', entry.task);
  if (entry.schedule === undefined) throw new ConfigurationError(`${at} has no schedule (give every('30s') or crontab({ … }))`);
  const schedule = toSchedule(`${at}.schedule`, entry.schedule);
  if (entry.args !== undefined && !Array.isArray(entry.args)) throw expected(`${at}.args`, 'an array', entry.args);
  if (entry.kwargs !== undefined && !isObject(entry.kwargs)) throw expected(`${at}.kwargs`, 'an object', entry.kwargs);
  const options = checkOptions(`${at}.options`, entry.options);
  return Object.freeze({
    name,
    task: entry.task,
    schedule,
    args: Object.freeze([...((entry.args as unknown[] | undefined) ?? [])]),
    kwargs: Object.freeze({ ...((entry.kwargs as Record<string, unknown> | undefined) ?? {}) }),
    options: Object.freeze({ ...options }),
  });
}

/** Checks a whole schedule (the `beatSchedule` setting): an object of entry name → entry. */
export function checkBeatSchedule(source: string, value: unknown): Record<string, BeatEntry> {
  if (!isObject(value)) throw expected(source, 'an object of entry name → { task, schedule, args, kwargs, options }', value);
  const out: Record<string, BeatEntry> = {};
  for (const [name, entry] of Object.entries(value)) {
    const e = checkEntry(name, entry, source);
    out[name] = { task: e.task, schedule: e.schedule, args: [...e.args], kwargs: { ...e.kwargs }, options: { ...e.options } };
  }
  return out;
}
