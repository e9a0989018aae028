// The app: settings, task registry, broker and backend wired together. Execution lives in worker/.
import { randomUUID } from 'node:crypto';
import type { Broker } from './broker/broker';
import { MemoryBroker } from './broker/memory';
import type { ResultBackend } from './backend/backend';
import { MemoryBackend } from './backend/memory';
import { Signature, type CanvasHost, type SignatureOptions } from './canvas';
import { groupsOf } from './backend/groups';
import { GroupResult } from './group-result';
import { DEFAULT_SETTINGS, checkInt, expected, settingsFromEnv, validateSettings, type Settings, type SettingsInput } from './config';
import { ConfigurationError, NotRegisteredError } from './errors';
import { Producer, checkPriority, validateApplyOptions } from './producer';
import { completeMessage, decodeMessage, type TaskMessage } from './protocol/message';
import { RedisBackend } from './redis/backend';
import { RedisBroker } from './redis/broker';
import type Redis from 'ioredis';
import { ConnectionPool } from './redis/connection';
import { isSentinelUrl } from './redis/sentinel';
import { TaskRegistry } from './registry';
import { loadTransport, transportPackage, type TransportContext } from './transports';
import { AsyncResult } from './result';
import type { ApplyOptions, BoundTaskFn, RemoteTask, Task, TaskDefinition, TaskFn, TaskOptions } from './task';
import { autodiscover } from './utils/autodiscover';
import { didYouMean } from './utils/did-you-mean';
import { sentEvent } from './worker/celery-events';
import { consoleLogger, toLogger, type Logger, type NestStyleLogger } from './utils/logger';
import { runEager } from './worker/eager';
import { rateInterval } from './limits/rate';
import type { WorkerContext } from './worker/context';
import { Worker, type WorkerOptions } from './worker/worker';
import { Beat, type BeatOptions } from './beat/beat';
import { checkEntry, type BeatEntry } from './beat/entries';

/** `createApp`'s second argument: every setting, plus Celery's `broker` / `backend` shortcuts. */
export interface AppConfig extends SettingsInput {
  /**
   * Shortcut for `brokerUrl`; or a Broker already built (used as is; see `closeGiven`); or an ioredis client, whose
   * connection details (host, port, TLS, auth, db) the app's own Redis connections copy (`client.duplicate()`):
   * the client itself is never used for commands nor closed.
   */
  broker?: string | Broker | Redis;
  /** Shortcut for `resultBackend`; or a ResultBackend already built; or an ioredis client (as for `broker`). */
  backend?: string | ResultBackend | Redis;
  /**
   * Whether `app.close()` also closes a `broker` / `backend` instance it was given (it always closes what it built).
   * @default false
   */
  closeGiven?: boolean;
  /** Where the app and its workers log: a celeriac Logger, or NestJS's `Logger`. @default console, warnings and errors */
  logger?: Logger | NestStyleLogger;
}

const isInstance = (v: unknown): v is object => typeof v === 'object' && v !== null;

// NOTE: by shape, not instanceof: the user's ioredis may be another copy of the package than ours.
const isRedisClient = (v: unknown): v is Redis =>
  isInstance(v) && typeof (v as Redis).duplicate === 'function' && typeof (v as Redis).sendCommand === 'function' && isInstance((v as Redis).options);

/** The URL that names an adopted client's server (no password: the copies take it from the client). */
function redisUrlOf(what: string, client: Redis): string {
  if ((client as { isCluster?: boolean }).isCluster) throw new ConfigurationError(`\`${what}\`: Redis Cluster is not supported (Celery's keys span slots)`);
  const o = client.options;
  if (o.sentinels?.length) {
    const addr = o.sentinels.map((h) => `sentinel://${h.host?.includes(':') ? `[${h.host}]` : (h.host ?? '127.0.0.1')}:${h.port ?? 26379}`);
    return `${addr.join(';')}${o.db ? `/${o.db}` : ''}`;
  }
  const host = o.path ? 'localhost' : (o.host ?? '127.0.0.1');
  return `${o.tls ? 'rediss' : 'redis'}://${host.includes(':') ? `[${host}]` : host}:${o.port ?? 6379}/${o.db ?? 0}`;
}

/** One call of `app.sendMany()`: a signature, or a task name with its arguments and call options. */
export type SendManyCall = Signature | { task: string; args?: unknown[]; options?: ApplyOptions };

/**
 * Names the master of each sentinel:// URL in use. The backend's options fall back to the broker's (a backend on
 * the same sentinels as the broker needs no second masterName).
 */
function useSentinels(pool: ConnectionPool, s: Settings): void {
  if (isSentinelUrl(s.brokerUrl)) pool.useSentinel(s.brokerUrl, s.brokerTransportOptions);
  const backend = s.resultBackend ?? s.brokerUrl;
  if (!isSentinelUrl(backend)) return;
  const options = { ...s.brokerTransportOptions, ...s.resultBackendTransportOptions };
  if (backend === s.brokerUrl && options.masterName !== s.brokerTransportOptions.masterName) {
    throw new ConfigurationError(
      `\`resultBackend\` is the broker's Sentinel URL but \`resultBackendTransportOptions.masterName\` ("${options.masterName}") differs from \`brokerTransportOptions.masterName\` ("${s.brokerTransportOptions.masterName}"); one URL reaches one master`,
    );
  }
  pool.useSentinel(backend, options, 'resultBackend', 'resultBackendTransportOptions');
}

export class Celeriac implements WorkerContext, CanvasHost {
  readonly registry = new TaskRegistry();
  readonly logger: Logger;
  /** Builds and sends every message of this app (`.delay()`, eager mode, a worker's follow-ups). */
  readonly producer: Producer = new Producer(this);
  #settings: Settings;
  #broker: Broker | null = null;
  #backend: ResultBackend | null = null;
  /** Instances given to createApp: not closed by close() unless `closeGiven`. */
  readonly #given = new Set<object>();
  readonly #closeGiven: boolean;
  readonly #handles = new WeakMap<TaskDefinition, Task>();
  /** ioredis clients given to createApp, by the URL that stands for them. */
  readonly #adopted: [url: string, client: Redis][] = [];
  #pool: ConnectionPool | null = null;
  readonly #workers = new Set<Worker>();
  readonly #beats = new Set<Beat>();
  /** Entries added with addPeriodicTask(). */
  #periodic: Record<string, BeatEntry> = {};
  #schedule: { settings: object; periodic: object; merged: Readonly<Record<string, BeatEntry>> } | null = null;
  #closed = false;

  constructor(
    readonly name: string,
    config: AppConfig = {},
  ) {
    if (typeof name !== 'string' || !name) throw expected('name', 'a non-empty string', name);
    const { broker, backend, logger, closeGiven = false, ...rest } = config;
    if (broker !== undefined && rest.brokerUrl !== undefined) throw new ConfigurationError('Give `broker` or `brokerUrl`, not both');
    if (backend !== undefined && rest.resultBackend !== undefined) throw new ConfigurationError('Give `backend` or `resultBackend`, not both');
    const input: Record<string, unknown> = { ...rest };
    const fromClient = (what: string, v: Redis) => {
      const url = redisUrlOf(what, v);
      this.#adopted.push([url, v]);
      return url;
    };
    if (isRedisClient(broker)) input.brokerUrl = fromClient('broker', broker);
    else if (isInstance(broker)) this.#broker = checkPort<Broker>('broker', broker, ['publish', 'consumer', 'revoke', 'close']);
    else if (broker !== undefined) input.brokerUrl = broker;
    if (isRedisClient(backend)) input.resultBackend = fromClient('backend', backend);
    else if (isInstance(backend)) this.#backend = checkPort<ResultBackend>('backend', backend, ['store', 'get', 'subscribe', 'close']);
    else if (backend !== undefined) input.resultBackend = backend;
    this.#settings = { ...DEFAULT_SETTINGS, ...validateSettings(input) };
    // NOTE: settings name what is in use, e.g. for `celeriac status` and the worker banner.
    if (this.#broker) {
      this.#given.add(this.#broker);
      this.#settings.brokerUrl = this.#broker.url;
    }
    if (this.#backend) {
      this.#given.add(this.#backend);
      this.#settings.resultBackend = this.#backend.url;
    }
    this.#closeGiven = closeGiven;
    this.logger = logger === undefined ? consoleLogger('warn') : toLogger(logger);
  }

  /** The settings in force (read-only). */
  get settings(): Readonly<Settings> {
    return this.#settings;
  }

  /** Changes settings; only before the app first talks to its broker or backend. */
  configure(settings: SettingsInput): this {
    const connected = (this.#broker && !this.#given.has(this.#broker)) || (this.#backend && !this.#given.has(this.#backend));
    if (connected) {
      throw new ConfigurationError('Settings cannot change after the app has connected; configure it before the first .delay() or worker');
    }
    const next = validateSettings(settings as Record<string, unknown>);
    if ((this.#given.size > 0 || this.#adopted.length > 0) && (next.brokerUrl !== undefined || next.resultBackend !== undefined)) {
      throw new ConfigurationError('This app was given its broker/backend (instances or a Redis client); `brokerUrl` and `resultBackend` cannot change');
    }
    this.#settings = { ...this.#settings, ...next };
    this.producer.resetRoutes();
    return this;
  }

  /** Reads `<NAMESPACE>_<SETTING>` variables: `CELERIAC_BROKER_URL` → `brokerUrl`. Unknown or malformed keys throw. */
  configFromEnv(namespace = 'CELERIAC', env: NodeJS.ProcessEnv = process.env): this {
    return this.configure(settingsFromEnv(namespace, env));
  }

  /** Imports `<folder>/tasks` for each folder (Django's autodiscover_tasks). Returns the files loaded. */
  autodiscoverTasks(folders: string[], options: { related?: string; baseDir?: string } = {}): Promise<string[]> {
    return autodiscover(folders, options.related ?? 'tasks', options.baseDir ?? process.cwd());
  }

  get pool(): ConnectionPool {
    this.#assertOpen();
    if (!this.#pool) {
      this.#pool = new ConnectionPool(this.#settings.brokerConnectionTimeout, this.logger);
      for (const [url, client] of this.#adopted) this.#pool.adopt(url, client);
      useSentinels(this.#pool, this.#settings);
    }
    return this.#pool;
  }

  #transportContext(): TransportContext {
    return { settings: this.#settings, logger: this.logger };
  }

  get broker(): Broker {
    this.#assertOpen();
    if (!this.#broker) {
      const url = this.#settings.brokerUrl;
      this.#broker = url.startsWith('memory:')
        ? new MemoryBroker(url)
        : transportPackage(url)
          ? loadTransport('brokerUrl', url, 'createBroker').createBroker!(url, this.#transportContext())
          : new RedisBroker(url, this.pool);
    }
    return this.#broker;
  }

  get backend(): ResultBackend {
    this.#assertOpen();
    if (!this.#backend) {
      const url = this.#settings.resultBackend ?? this.#settings.brokerUrl;
      this.#backend = url.startsWith('memory:')
        ? new MemoryBackend(url)
        : transportPackage(url)
          ? loadTransport('resultBackend', url, 'createBackend').createBackend!(url, this.#transportContext())
          : new RedisBackend(url, this.pool);
    }
    return this.#backend;
  }

  /** Registers a task. With `bind: true` the function receives a TaskContext first. */
  task<A extends unknown[], R>(name: string, fn: TaskFn<A, R>, options?: TaskOptions & { bind?: false }): Task<A, Awaited<R>>;
  task<A extends unknown[], R>(name: string, fn: BoundTaskFn<A, R>, options: TaskOptions & { bind: true }): Task<A, Awaited<R>>;
  task(name: string, fn: (...args: never[]) => unknown, options: TaskOptions & { bind?: boolean } = {}): Task {
    const { bind = false, ...opts } = options;
    validateTaskOptions(name, opts);
    const def: TaskDefinition = { name, fn, bind, options: opts };
    this.registry.register(def);
    return this.#handle(def);
  }

  /**
   * The handle of a registered task, typed by the caller: `app.getTask<[string, string], string>('users.mail')`.
   * Throws NotRegisteredError (with the closest registered names) for an unknown name.
   */
  getTask<A extends unknown[] = unknown[], R = unknown>(name: string): Task<A, R> {
    const def = this.registry.get(name);
    if (!def) throw new NotRegisteredError(name, didYouMean(name, this.registry.names()));
    return this.#handle(def) as unknown as Task<A, R>;
  }

  #handle(def: TaskDefinition): Task {
    let task = this.#handles.get(def);
    if (!task) this.#handles.set(def, (task = this.#makeTask(def)));
    return task;
  }

  #makeTask(def: TaskDefinition): Task {
    const app = this;
    // NOTE: a direct call is a function call: its arguments are not copied (only `.delay()` goes through JSON).
    const call = (...args: unknown[]) => runEager(app, def, completeMessage({ id: randomUUID(), task: def.name, args, kwargs: {}, queue: 'eager' }), { store: false });
    Object.defineProperties(call, {
      taskName: { value: def.name, enumerable: true },
      options: { value: Object.freeze({ ...def.options }), enumerable: true },
    });
    return Object.assign(call, {
      delay: (...args: unknown[]) => app.sendTask(def.name, args),
      applyAsync: (args: unknown[], options?: ApplyOptions) => app.sendTask(def.name, args ?? [], options),
      s: (...args: unknown[]) => new Signature(def.name, args, {}, {}, false, app),
      si: (...args: unknown[]) => new Signature(def.name, args, {}, {}, true, app),
    }) as unknown as Task;
  }

  /**
   * A typed handle on a task that runs elsewhere, e.g. a Python worker's `proj.add`:
   * `app.remoteTask<[number, number], number>('proj.add', { queue: 'py' }).delay(2, 3)`.
   * Nothing is registered: a celeriac worker that receives it dead-letters it as unknown.
   */
  remoteTask<A extends unknown[] = unknown[], R = unknown>(name: string, options: Pick<ApplyOptions, 'queue' | 'priority'> = {}): RemoteTask<A, R> {
    if (typeof name !== 'string' || !name) throw expected('name', 'a non-empty task name', name);
    validateApplyOptions(options);
    return {
      taskName: name,
      delay: (...args: A) => this.sendTask<R>(name, args, options),
      applyAsync: (args: A, opts: ApplyOptions = {}) => this.sendTask<R>(name, args, { ...options, ...opts }),
      s: (...args: Partial<A>) => new Signature<R>(name, args, {}, options, false, this),
      si: (...args: A) => new Signature<R>(name, args, {}, options, true, this),
    };
  }

  /** Which queue and priority a call goes to: the call's own, then the task's, then `taskRoutes`, then the default. */
  route(name: string, options: ApplyOptions = {}): { queue: string; priority: number } {
    return this.producer.route(name, options);
  }

  /** Builds the message of a call (validated, serialisable), without sending it. */
  buildMessage(name: string, args: unknown[], options: ApplyOptions = {}): TaskMessage {
    return this.producer.build(name, args, options);
  }

  /** Sends a message built by buildMessage; refuses one over `taskMessageMaxSize`. */
  publish(msg: TaskMessage): Promise<void> {
    return this.producer.publish(msg);
  }

  /** Sends a task by name, also one that lives in another codebase (a Python worker's `proj.add`). */
  async sendTask<R = unknown>(name: string, args: unknown[] = [], options: ApplyOptions = {}): Promise<AsyncResult<R>> {
    this.#assertOpen();
    const producer = this.producer;
    const msg = producer.build(name, args, options);
    if (this.#settings.taskAlwaysEager) {
      const def = this.registry.require(name);
      // NOTE: encoded and decoded as a worker would receive it: a Date argument arrives as a string here too.
      const sent = decodeMessage(producer.encode(msg), msg.queue);
      await runEager(this, def, sent, { store: true, propagate: this.#settings.taskEagerPropagates });
      return new AsyncResult<R>(msg.id, this);
    }
    // NOTE: a taskId deduplicates where the broker can (Redis, memory); only an explicit dedupKey requires it.
    const byId = options.taskId !== undefined && this.broker.publishOnce !== undefined;
    const dedupKey = options.dedupKey ?? (byId ? `id:${options.taskId}` : undefined);
    if (dedupKey === undefined) {
      const events = producer.eventSender();
      await this.broker.publish(msg.queue, msg.priority, producer.encode(msg));
      events?.send('task-sent', sentEvent(msg));
      return new AsyncResult<R>(msg.id, this);
    }
    return this.#sendOnce<R>(msg, dedupKey, options.dedupTtl ?? this.#settings.taskDedupTtl);
  }

  /** Sends unless a waiting or running task holds the dedup key; the handle is that task's then. */
  async #sendOnce<R>(msg: TaskMessage, key: string, ttl: number): Promise<AsyncResult<R>> {
    const broker = this.broker;
    if (!broker.publishOnce) throw new ConfigurationError(`The broker ${broker.url} cannot deduplicate sends (taskId / dedupKey); use redis:// or memory://`);
    msg.dedup = key;
    const events = this.producer.eventSender();
    const held = await broker.publishOnce(msg.queue, msg.priority, this.producer.encode(msg), { key, taskId: msg.id, ttl });
    if (held === null) events?.send('task-sent', sentEvent(msg));
    return new AsyncResult<R>(held ?? msg.id, this);
  }

  /**
   * A signature bound to this app, by task name (also one that runs elsewhere): usable in chain / group / chord and
   * sendable with `.applyAsync()`, like `task.s()`.
   */
  signature<R = unknown>(task: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}, options: SignatureOptions = {}): Signature<R> {
    if (typeof task !== 'string' || !task) throw expected('task', 'a non-empty task name', task);
    return new Signature<R>(task, args, kwargs, options, false, this);
  }

  /**
   * Sends many tasks at once: every message is built and checked first (nothing is sent if one is invalid), then
   * they go out in batched writes, one round trip per 1,000 on Redis. Resolves their handles in order.
   */
  async sendMany<R = unknown>(calls: readonly SendManyCall[]): Promise<AsyncResult<R>[]> {
    this.#assertOpen();
    if (!Array.isArray(calls)) throw expected('calls', 'an array of signatures or { task, args, options }', calls);
    const msgs = calls.map((c, i) => {
      if (c instanceof Signature) return this.producer.build(c.task, c.args, c.applyOptions());
      if (typeof c !== 'object' || c === null || typeof c.task !== 'string' || !c.task) {
        throw expected(`calls[${i}]`, 'a Signature or { task, args, options }', c);
      }
      return this.producer.build(c.task, c.args ?? [], c.options ?? {});
    });
    if (this.#settings.taskAlwaysEager) {
      const out: AsyncResult<R>[] = [];
      for (const m of msgs) out.push(await this.sendTask<R>(m.task, m.args, { kwargs: m.kwargs, taskId: m.id, queue: m.queue, priority: m.priority }));
      return out;
    }
    await this.producer.publishMany(msgs);
    return msgs.map((m) => new AsyncResult<R>(m.id, this));
  }

  /** A group saved with `GroupResult.save()` (here or by Python's), by its id; null when none is stored. */
  async groupResult<R = unknown>(groupId: string): Promise<GroupResult<R> | null> {
    if (typeof groupId !== 'string' || !groupId) throw expected('groupId', 'a non-empty group id', groupId);
    const ids = await groupsOf(this.backend)?.restoreGroup(groupId);
    return ids ? new GroupResult<R>(groupId, ids.map((id) => new AsyncResult<R>(id, this)), this) : null;
  }

  /** A handle on a task by id. */
  asyncResult<R = unknown>(id: string): AsyncResult<R> {
    if (typeof id !== 'string' || !id) throw expected('id', 'a non-empty task id', id);
    return new AsyncResult<R>(id, this);
  }

  /** Revokes tasks by id, on every worker (Node or Python): one that has not started never runs. */
  async revoke(taskIds: string | string[], options: { terminate?: boolean } = {}): Promise<void> {
    const ids = Array.isArray(taskIds) ? taskIds : [taskIds];
    await this.broker.revoke(ids, this.#settings.workerRevokeExpires, options.terminate ?? false);
  }

  /** A worker for this app's tasks; call `start()` on it. */
  worker(options: WorkerOptions = {}): Worker {
    this.#assertOpen();
    const w = new Worker(this, options);
    this.#workers.add(w);
    w.once('closed', () => this.#workers.delete(w));
    return w;
  }

  /**
   * Adds a periodic task to the schedule (beside the `beatSchedule` setting; see `app.beatSchedule`): `app.addPeriodicTask('cleanup',
   * { task: 'users.cleanup', schedule: crontab({ minute: '*\/10' }) })`. A beat already running sends it from its
   * next look at the schedule. A bad entry throws, naming it; a name already in the schedule is an error.
   */
  addPeriodicTask(name: string, entry: BeatEntry): this {
    if (typeof name !== 'string' || !name) throw expected('name', 'a non-empty entry name', name);
    const checked = checkEntry(name, entry, 'addPeriodicTask');
    if (Object.prototype.hasOwnProperty.call(this.beatSchedule, name)) throw new ConfigurationError(`addPeriodicTask: the schedule already has an entry "${name}"`);
    const { task, schedule, args, kwargs, options } = checked;
    this.#periodic = { ...this.#periodic, [name]: { task, schedule, args: [...args], kwargs: { ...kwargs }, options: { ...options } } };
    return this;
  }

  /**
   * The schedule beats send: the `beatSchedule` setting and the entries of `addPeriodicTask()` (kept apart, so a
   * later `configure()` / `configFromEnv()` that sets `beatSchedule` does not drop them).
   */
  get beatSchedule(): Readonly<Record<string, BeatEntry>> {
    const fromSettings = this.#settings.beatSchedule;
    if (this.#schedule?.settings !== fromSettings || this.#schedule.periodic !== this.#periodic) {
      this.#schedule = { settings: fromSettings, periodic: this.#periodic, merged: Object.freeze({ ...fromSettings, ...this.#periodic }) };
    }
    return this.#schedule.merged;
  }

  /**
   * A beat for this app's schedule; call `start()` on it. Any number of beats (in any processes) may run against one
   * broker: each due run is sent once. On memory:// it runs in this process, for development.
   */
  beat(options: BeatOptions = {}): Beat {
    this.#assertOpen();
    const b = new Beat(this, options);
    this.#beats.add(b);
    return b;
  }

  /** Closes beats and workers (warm), then the broker and backend connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await Promise.all([...this.#beats].map((b) => b.close()));
    await Promise.all([...this.#workers].map((w) => w.close()));
    this.#closed = true;
    const mine = (x: Broker | ResultBackend | null) => x !== null && (this.#closeGiven || !this.#given.has(x));
    await Promise.all([mine(this.#broker) ? this.#broker?.close() : undefined, mine(this.#backend) ? this.#backend?.close() : undefined]);
  }

  get closed(): boolean {
    return this.#closed;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ConfigurationError(`App "${this.name}" is closed`);
  }
}

function validateTaskOptions(name: string, o: TaskOptions): void {
  const at = (k: string) => `task "${name}" option ${k}`;
  if (o.maxRetries !== undefined) checkInt(at('maxRetries'), o.maxRetries, 0);
  if (o.defaultRetryDelay !== undefined) checkInt(at('defaultRetryDelay'), o.defaultRetryDelay, 0);
  if (o.timeLimit !== undefined) checkInt(at('timeLimit'), o.timeLimit, 1);
  if (o.softTimeLimit !== undefined) checkInt(at('softTimeLimit'), o.softTimeLimit, 1);
  if (o.rejectOnWorkerLost !== undefined && typeof o.rejectOnWorkerLost !== 'boolean') throw expected(at('rejectOnWorkerLost'), 'a boolean', o.rejectOnWorkerLost);
  if (o.retryBackoffMax !== undefined) checkInt(at('retryBackoffMax'), o.retryBackoffMax, 0);
  if (o.priority !== undefined) checkPriority(o.priority);
  if (o.queue !== undefined && (typeof o.queue !== 'string' || !o.queue)) throw expected(at('queue'), 'a non-empty string', o.queue);
  if (o.public !== undefined && typeof o.public !== 'boolean') throw expected(at('public'), 'a boolean', o.public);
  if (o.rateLimit !== undefined) rateInterval(at('rateLimit'), o.rateLimit);
  if (o.globalRateLimit !== undefined) rateInterval(at('globalRateLimit'), o.globalRateLimit);
  if (o.concurrencyKey !== undefined && typeof o.concurrencyKey !== 'function') throw expected(at('concurrencyKey'), 'a function (args, kwargs) => key', o.concurrencyKey);
  if (o.maxPerKey !== undefined) {
    checkInt(at('maxPerKey'), o.maxPerKey, 1);
    if (o.concurrencyKey === undefined) throw new ConfigurationError(`Task "${name}": maxPerKey needs a concurrencyKey (the function that names each call's key)`);
  }
  if (o.autoretryFor !== undefined && typeof o.autoretryFor !== 'function' && !Array.isArray(o.autoretryFor)) {
    throw expected(at('autoretryFor'), 'an array of error classes or a predicate', o.autoretryFor);
  }
}

function checkPort<T extends object>(what: string, v: object, methods: string[]): T {
  const missing = methods.filter((m) => typeof (v as Record<string, unknown>)[m] !== 'function');
  if (missing.length) throw new ConfigurationError(`\`${what}\` is neither a URL nor a ${what === 'broker' ? 'Broker' : 'ResultBackend'}: it lacks ${missing.map((m) => `${m}()`).join(', ')}`);
  return v as T;
}

/** `createApp('shop', { broker: 'redis://…' })`, like `Celery('shop', broker=…)`. */
export function createApp(name: string, config: AppConfig = {}): Celeriac {
  return new Celeriac(name, config);
}
