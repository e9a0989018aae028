import { ConfigurationError, expected } from './errors';
import { OPTIONAL_TRANSPORTS, schemeOf } from './transport-schemes';
import { rateInterval, type RateLimit } from './limits/rate';
import { checkBeatSchedule, type BeatEntry } from './beat/entries';
import { checkTimezone } from './beat/schedule';
import { checkTransportOptions, isSentinelUrl, parseSentinelUrl, redactSentinelUrl, type TransportOptions } from './redis/sentinel';

/**
 * How a queue is declared and published to on RabbitMQ (amqp://), as a `Queue(name, Exchange(exchange, type),
 * routing_key)` in Celery's task_queues. Omitted: Celery's own default for a queue, a direct exchange named
 * after the queue and the queue's name as routing key. The Redis broker routes by queue name and ignores it.
 */
export interface TaskQueue {
  exchange?: string;
  exchangeType?: 'direct' | 'topic' | 'fanout';
  routingKey?: string;
}

/** Where a task goes: a queue name, or `{ queue, priority }`. */
export interface TaskRoute {
  queue?: string;
  priority?: number;
}

/**
 * Every setting, by Celery's name in camelCase. Durations are milliseconds.
 * @publicApi
 */
export interface Settings {
  /**
   * Broker URL: `memory://`, `redis://[:password@]host:port/db`, `rediss://…`, or Redis Sentinel
   * `sentinel://[:password@]host:26379[/db];sentinel://host2:26379` (with `brokerTransportOptions.masterName`).
   * @default 'memory://'
   */
  brokerUrl: string;
  /** Result backend URL. @default the broker URL */
  resultBackend: string | null;
  /** Options of the broker's transport (Celery's `broker_transport_options`): `masterName` for sentinel://. @default {} */
  brokerTransportOptions: TransportOptions;
  /**
   * Options of the result backend's transport (Celery's `result_backend_transport_options`): `masterName` for a
   * sentinel:// backend. What it does not set comes from `brokerTransportOptions` (a backend on the broker's
   * sentinels needs nothing more).
   * @default {}
   */
  resultBackendTransportOptions: TransportOptions;
  /** How long results are kept. @default 86_400_000 (one day, as Celery) */
  resultExpires: number;
  /** Queue of tasks that name none and match no route. @default 'celery' */
  taskDefaultQueue: string;
  /** Routes by task name; keys may end in `*` (`'users.*': 'mail'`). @default {} */
  taskRoutes: Record<string, string | TaskRoute>;
  /** Store STARTED when a worker begins a task (browsers follow it). @default true */
  taskTrackStarted: boolean;
  /** Store no result unless the task says otherwise. @default false */
  taskIgnoreResult: boolean;
  /** Delay before a retry when the task names none. @default 180_000 */
  taskDefaultRetryDelay: number;
  /** Retries allowed when the task names none. @default 3 */
  taskMaxRetries: number;
  /** Hard time limit of every task (null: none). @default null */
  taskTimeLimit: number | null;
  /** Soft time limit of every task: its AbortSignal fires and it may clean up (null: none). @default null */
  taskSoftTimeLimit: number | null;
  /**
   * Celery's task_reject_on_worker_lost: a task whose pool child died (process.exit, out of memory) goes back to
   * its queue instead of being stored as FAILURE (WorkerLostError). It runs again, so it must be idempotent. @default false
   */
  taskRejectOnWorkerLost: boolean;
  /** Largest encoded message `.delay()` accepts, in bytes. @default 10_485_760 (10 MiB) */
  taskMessageMaxSize: number;
  /**
   * Celery's task_queue_max_priority: on RabbitMQ (amqp://) task queues are declared with this `x-max-priority`
   * (a higher priority number is served first there). It must match how the queues were first declared. @default null
   */
  taskQueueMaxPriority: number | null;
  /** Celery's task_queues: per queue name, its exchange, exchange type and routing key on RabbitMQ. @default {} */
  taskQueues: Record<string, TaskQueue>;
  /** Run tasks inline at `.delay()`, for tests. @default false */
  taskAlwaysEager: boolean;
  /** Let eager tasks throw from `.delay()` instead of storing FAILURE. @default false */
  taskEagerPropagates: boolean;
  /** Tasks a worker runs at once. @default 10 */
  workerConcurrency: number;
  /** Messages reserved per concurrency slot. @default 4 */
  workerPrefetchMultiplier: number;
  /**
   * Where tasks run: `main` (this event loop; best for I/O-bound tasks), `threads` (worker_threads) or `processes`
   * (child processes, Celery's prefork); `workerConcurrency` is then the pool size. @default 'main'
   */
  workerPool: PoolKind;
  /** A pool thread/child is replaced after this many tasks (Celery's worker_max_tasks_per_child). @default null */
  workerMaxTasksPerChild: number | null;
  /** A pool thread/child is replaced after a task that leaves it above this many KiB (Celery's worker_max_memory_per_child). @default null */
  workerMaxMemoryPerChild: number | null;
  /** The event loop of the main pool blocked longer than this (ms) is logged with the task that blocked it; null: never. @default 1_000 */
  workerStallWarning: number | null;
  /** How often a worker tells Redis it is alive. @default 2_000 */
  workerHeartbeatInterval: number;
  /** After this long without a heartbeat a worker is dead and its tasks go back to their queues. @default 10_000 */
  workerHeartbeatTimeout: number;
  /** Warm shutdown: how long in-flight tasks may take to finish before they are given back. @default 30_000 */
  workerShutdownTimeout: number;
  /** How long a revocation is remembered. @default 86_400_000 */
  workerRevokeExpires: number;
  /**
   * Celery's `task_annotations`: options by task name (or `'*'` for every task), applied where the task sets
   * none: `{ 'tasks.add': { rateLimit: '10/s' } }`. @default {}
   */
  taskAnnotations: Record<string, TaskAnnotation>;
  /** How long a sent task's taskId / dedupKey holds at most (it is let go when the task ends). @default 3_600_000 */
  taskDedupTtl: number;
  /** How long a connection attempt, or a send while Redis is away, may wait before it fails. @default 5_000 */
  brokerConnectionTimeout: number;
  /**
   * Celery's beat_schedule: periodic tasks by entry name, `{ task, schedule: every('30s') | crontab({ … }), args,
   * kwargs, options }`. Sent by `celeriac beat` (or `worker -B`, or `app.beat()`), once per due time however many
   * beats run. @default {}
   */
  beatSchedule: Record<string, BeatEntry>;
  /** IANA time zone of crontab schedules (DST included), as Celery's `timezone`. @default 'UTC' */
  timezone: string;
  /** Workers send Celery's task events (`celeriac worker -E`; Celery's worker_send_task_events). @default false */
  workerSendTaskEvents: boolean;
  /** Producers send a `task-sent` event for each task (Celery's task_send_sent_event). @default false */
  taskSendSentEvent: boolean;
  /** Task events kept in the broker's capped history (a Redis stream) for dashboards; 0 keeps none. @default 10_000 */
  eventHistoryMax: number;
}

export type SettingsInput = Partial<Settings>;

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  brokerUrl: 'memory://',
  resultBackend: null,
  brokerTransportOptions: Object.freeze({}),
  resultBackendTransportOptions: Object.freeze({}),
  resultExpires: 86_400_000,
  taskDefaultQueue: 'celery',
  taskRoutes: {},
  taskTrackStarted: true,
  taskIgnoreResult: false,
  taskDefaultRetryDelay: 180_000,
  taskMaxRetries: 3,
  taskTimeLimit: null,
  taskSoftTimeLimit: null,
  taskRejectOnWorkerLost: false,
  taskMessageMaxSize: 10 * 1024 * 1024,
  taskQueueMaxPriority: null,
  taskQueues: {},
  taskAlwaysEager: false,
  taskEagerPropagates: false,
  workerConcurrency: 10,
  workerPrefetchMultiplier: 4,
  workerPool: 'main',
  workerMaxTasksPerChild: null,
  workerMaxMemoryPerChild: null,
  workerStallWarning: 1_000,
  workerHeartbeatInterval: 2_000,
  workerHeartbeatTimeout: 10_000,
  workerShutdownTimeout: 30_000,
  workerRevokeExpires: 86_400_000,
  taskAnnotations: {},
  taskDedupTtl: 3_600_000,
  brokerConnectionTimeout: 5_000,
  beatSchedule: Object.freeze({}) as Record<string, BeatEntry>,
  timezone: 'UTC',
  workerSendTaskEvents: false,
  taskSendSentEvent: false,
  eventHistoryMax: 10_000,
});

type Kind = 'url' | 'nullableUrl' | 'string' | 'pool' | 'boolean' | 'int>=0' | 'int>=1' | 'nullableInt>=1' | 'routes' | 'annotations' | 'transportOptions' | 'queues' | 'beatSchedule' | 'timezone';

const KINDS: Record<keyof Settings, Kind> = {
  brokerUrl: 'url',
  resultBackend: 'nullableUrl',
  brokerTransportOptions: 'transportOptions',
  resultBackendTransportOptions: 'transportOptions',
  resultExpires: 'int>=1',
  taskDefaultQueue: 'string',
  taskRoutes: 'routes',
  taskTrackStarted: 'boolean',
  taskIgnoreResult: 'boolean',
  taskDefaultRetryDelay: 'int>=0',
  taskMaxRetries: 'int>=0',
  taskTimeLimit: 'nullableInt>=1',
  taskSoftTimeLimit: 'nullableInt>=1',
  taskRejectOnWorkerLost: 'boolean',
  taskMessageMaxSize: 'int>=1',
  taskQueueMaxPriority: 'nullableInt>=1',
  taskQueues: 'queues',
  taskAlwaysEager: 'boolean',
  taskEagerPropagates: 'boolean',
  workerConcurrency: 'int>=1',
  workerPrefetchMultiplier: 'int>=1',
  workerPool: 'pool',
  workerMaxTasksPerChild: 'nullableInt>=1',
  workerMaxMemoryPerChild: 'nullableInt>=1',
  workerStallWarning: 'nullableInt>=1',
  workerHeartbeatInterval: 'int>=1',
  workerHeartbeatTimeout: 'int>=1',
  workerShutdownTimeout: 'int>=0',
  workerRevokeExpires: 'int>=1',
  taskAnnotations: 'annotations',
  taskDedupTtl: 'int>=1',
  brokerConnectionTimeout: 'int>=1',
  beatSchedule: 'beatSchedule',
  timezone: 'timezone',
  workerSendTaskEvents: 'boolean',
  taskSendSentEvent: 'boolean',
  eventHistoryMax: 'int>=0',
};

export const SETTING_NAMES = Object.keys(KINDS) as (keyof Settings)[];

/** `Expected \`name\` to be …, got \`value\` (type)` — the one shape of every option error. */
export { expected };

export type PoolKind = 'main' | 'threads' | 'processes';

export function checkPool(name: string, value: unknown): PoolKind {
  if (value !== 'main' && value !== 'threads' && value !== 'processes') throw expected(name, "'main', 'threads' or 'processes'", value);
  return value;
}

export function checkInt(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw expected(name, `an integer >= ${min}`, value);
  }
  return value;
}


const URL_SCHEMES = ['memory:', 'redis:', 'rediss:', 'sentinel:'];

function checkUrl(name: string, value: unknown): string {
  if (typeof value !== 'string') throw expected(name, 'a URL string', value);
  // NOTE: several addresses joined by ";" are not one URL to the parser: each is checked on its own.
  if (isSentinelUrl(value)) {
    parseSentinelUrl(name, value);
    return value;
  }
  let scheme: string;
  try {
    scheme = new URL(value).protocol;
  } catch {
    throw expected(name, 'a URL such as redis://127.0.0.1:6379/0 or memory://', value);
  }
  // Schemes of optional packages (amqp://, db+postgresql://…) are checked by the package when it is loaded.
  if (OPTIONAL_TRANSPORTS[scheme]) return value;
  if (!URL_SCHEMES.includes(scheme)) {
    throw new ConfigurationError(
      `\`${name}\` has the unsupported scheme "${scheme}" (${redactUrl(value)}); use memory://, redis://, rediss://, sentinel://, or ${[...new Set(Object.keys(OPTIONAL_TRANSPORTS))].map((s) => `${s}//`).join(', ')} (optional packages)`,
    );
  }
  if (scheme !== 'memory:') checkRedisDb(name, value);
  return value;
}

/** A Redis URL's path is empty or a database number: `/7x` or `/a/b` would otherwise quietly mean database 0. */
function checkRedisDb(name: string, value: string): void {
  const path = new URL(value).pathname;
  if (path === '' || path === '/' || /^\/\d{1,9}$/.test(path)) return;
  throw new ConfigurationError(
    `\`${name}\` (${redactUrl(value)}) has the database "${path.slice(1)}"; a Redis URL ends in a database number, e.g. redis://127.0.0.1:6379/0`,
  );
}

function checkRoutes(name: string, value: unknown): Record<string, string | TaskRoute> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw expected(name, 'an object of task name → queue', value);
  for (const [pattern, route] of Object.entries(value)) {
    if (typeof route === 'string') continue;
    if (typeof route !== 'object' || route === null || (route.queue !== undefined && typeof route.queue !== 'string')) {
      throw expected(`${name}["${pattern}"]`, 'a queue name or { queue, priority }', route);
    }
  }
  return value as Record<string, string | TaskRoute>;
}

/** Options `taskAnnotations` may give a task (those a worker reads when it runs one). */
export interface TaskAnnotation {
  rateLimit?: RateLimit;
  globalRateLimit?: RateLimit;
}

const ANNOTATION_KEYS = ['rateLimit', 'globalRateLimit'];

function checkAnnotations(name: string, value: unknown): Record<string, TaskAnnotation> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw expected(name, 'an object of task name → options', value);
  for (const [task, ann] of Object.entries(value)) {
    if (typeof ann !== 'object' || ann === null || Array.isArray(ann)) throw expected(`${name}["${task}"]`, 'an object such as { rateLimit: \'10/s\' }', ann);
    for (const [k, v] of Object.entries(ann)) {
      if (!ANNOTATION_KEYS.includes(k)) {
        const hint = didYouMean(k, ANNOTATION_KEYS);
        throw new ConfigurationError(`Unknown option \`${k}\` in ${name}["${task}"]${hint ? `. Did you mean \`${hint}\`?` : ''} (annotations take ${ANNOTATION_KEYS.join(', ')})`);
      }
      if (v !== undefined) rateInterval(`${name}["${task}"].${k}`, v);
    }
  }
  return value as Record<string, TaskAnnotation>;
}

const EXCHANGE_TYPES = ['direct', 'topic', 'fanout'];

function checkQueues(name: string, value: unknown): Record<string, TaskQueue> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw expected(name, 'an object of queue name → { exchange, exchangeType, routingKey }', value);
  }
  for (const [queue, q] of Object.entries(value as Record<string, unknown>)) {
    const at = `${name}["${queue}"]`;
    if (typeof q !== 'object' || q === null || Array.isArray(q)) throw expected(at, 'an object { exchange, exchangeType, routingKey }', q);
    for (const [k, v] of Object.entries(q)) {
      if (k === 'exchange' || k === 'routingKey') {
        if (typeof v !== 'string') throw expected(`${at}.${k}`, 'a string', v);
      } else if (k === 'exchangeType') {
        if (typeof v !== 'string' || !EXCHANGE_TYPES.includes(v)) throw expected(`${at}.exchangeType`, `one of ${EXCHANGE_TYPES.join(', ')}`, v);
      } else {
        throw new ConfigurationError(`Unknown key \`${k}\` in \`${at}\` (expected exchange, exchangeType, routingKey)`);
      }
    }
  }
  return value as Record<string, TaskQueue>;
}

function checkOne(name: keyof Settings, value: unknown): unknown {
  switch (KINDS[name]) {
    case 'url':
      return checkUrl(name, value);
    case 'nullableUrl':
      return value === null ? null : checkUrl(name, value);
    case 'string':
      if (typeof value !== 'string' || value === '') throw expected(name, 'a non-empty string', value);
      return value;
    case 'pool':
      return checkPool(name, value);
    case 'boolean':
      if (typeof value !== 'boolean') throw expected(name, 'a boolean', value);
      return value;
    case 'int>=0':
      return checkInt(name, value, 0);
    case 'int>=1':
      return checkInt(name, value, 1);
    case 'nullableInt>=1':
      return value === null ? null : checkInt(name, value, 1);
    case 'routes':
      return checkRoutes(name, value);
    case 'annotations':
      return checkAnnotations(name, value);
    case 'transportOptions':
      return checkTransportOptions(name, value, didYouMean);
    case 'queues':
      return checkQueues(name, value);
    case 'beatSchedule':
      return checkBeatSchedule(name, value);
    case 'timezone':
      return checkTimezone(name, value);
  }
}

/** Checks every given setting; an unknown name is an error with a "did you mean" hint. */
export function validateSettings(input: Record<string, unknown>, source = 'setting'): SettingsInput {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!(name in KINDS)) {
      const hint = didYouMean(name, SETTING_NAMES);
      throw new ConfigurationError(`Unknown ${source} \`${name}\`${hint ? `. Did you mean \`${hint}\`?` : ''}`);
    }
    out[name] = checkOne(name as keyof Settings, value);
  }
  return out as SettingsInput;
}

function envValue(kind: Kind, key: string, raw: string): unknown {
  const bad = (what: string) => new ConfigurationError(`Environment variable ${key} must be ${what}, got ${JSON.stringify(raw)}`);
  switch (kind) {
    case 'url':
    case 'string':
    case 'timezone':
    case 'pool':
      return raw;
    case 'nullableUrl':
      return raw === '' ? null : raw;
    case 'boolean': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw bad('a boolean (true/false/1/0)');
    }
    case 'int>=0':
    case 'int>=1':
    case 'nullableInt>=1': {
      if (kind === 'nullableInt>=1' && raw === '') return null;
      if (!/^\d+$/.test(raw.trim())) throw bad('a whole number');
      return Number(raw.trim());
    }
    case 'routes':
    case 'annotations':
      try {
        return JSON.parse(raw);
      } catch {
        throw bad(kind === 'routes' ? 'JSON such as {"users.*": "mail"}' : 'JSON such as {"tasks.add": {"rateLimit": "10/s"}}');
      }
    case 'transportOptions':
      try {
        return JSON.parse(raw);
      } catch {
        throw bad('JSON such as {"masterName": "mymaster"}');
      }
    case 'queues':
      try {
        return JSON.parse(raw);
      } catch {
        throw bad('JSON such as {"mail": {"exchange": "tasks", "exchangeType": "topic", "routingKey": "mail.#"}}');
      }
    case 'beatSchedule':
      try {
        return JSON.parse(raw);
      } catch {
        throw bad('JSON such as {"cleanup": {"task": "users.cleanup", "schedule": {"every": "10m"}}}');
      }
  }
}

/** `CELERIAC_WORKER_CONCURRENCY` with namespace `CELERIAC` → `workerConcurrency`. */
export function settingsFromEnv(namespace: string, env: NodeJS.ProcessEnv = process.env): SettingsInput {
  const prefix = namespace.endsWith('_') ? namespace : `${namespace}_`;
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(env)) {
    if (!key.startsWith(prefix) || raw === undefined) continue;
    const name = key
      .slice(prefix.length)
      .toLowerCase()
      .replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
    const kind = KINDS[name as keyof Settings];
    if (!kind) {
      const hint = didYouMean(name, SETTING_NAMES);
      const hintKey = hint ? prefix + hint.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase() : '';
      throw new ConfigurationError(`Unknown environment variable ${key}${hint ? `. Did you mean ${hintKey}?` : ''}`);
    }
    try {
      out[name] = checkOne(name as keyof Settings, envValue(kind, key, raw));
    } catch (err) {
      if (err instanceof ConfigurationError && !err.message.includes(key)) {
        throw new ConfigurationError(`Environment variable ${key}: ${err.message}`);
      }
      throw err;
    }
  }
  return out as SettingsInput;
}

export function didYouMean(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = levenshtein(name.toLowerCase(), c.toLowerCase());
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return bestDist <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** The URL with its password replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  if (schemeOf(url) === 'sentinel:') return redactSentinelUrl(url);
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@');
  }
}
