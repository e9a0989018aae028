// The app: settings, task registry, broker and backend wired together. Execution lives in worker/.
import { randomUUID } from 'node:crypto';
import type { Broker } from './broker/broker';
import { MemoryBroker } from './broker/memory';
import type { ResultBackend } from './backend/backend';
import { MemoryBackend } from './backend/memory';
import { Signature } from './canvas';
import {
  DEFAULT_SETTINGS,
  checkInt,
  expected,
  settingsFromEnv,
  validateSettings,
  type Settings,
  type SettingsInput,
  type TaskRoute,
} from './config';
import { ConfigurationError, SerializationError } from './errors';
import { ORIGIN, encodeMessage, type TaskMessage } from './protocol/message';
import { RedisBackend } from './redis/backend';
import { RedisBroker } from './redis/broker';
import { ConnectionPool } from './redis/connection';
import { TaskRegistry } from './registry';
import { AsyncResult } from './result';
import { assertSerializable } from './serialize';
import type { ApplyOptions, BoundTaskFn, RemoteTask, Task, TaskDefinition, TaskFn, TaskOptions } from './task';
import { autodiscover } from './utils/autodiscover';
import { consoleLogger, type Logger } from './utils/logger';
import { runEager } from './worker/eager';
import { Worker, type WorkerOptions } from './worker/worker';

/** `createApp`'s second argument: every setting, plus Celery's `broker` / `backend` shortcuts. */
export interface AppConfig extends SettingsInput {
  /** Shortcut for `brokerUrl`. */
  broker?: string;
  /** Shortcut for `resultBackend`. */
  backend?: string;
  /** Where the app and its workers log. @default console, warnings and errors */
  logger?: Logger;
}

const toMs = (v: Date | number, name: string): number => {
  const t = v instanceof Date ? v.getTime() : v;
  if (typeof t !== 'number' || !Number.isFinite(t)) throw expected(name, 'a Date or a number of milliseconds', v);
  return t;
};

export class Celeriac {
  readonly registry = new TaskRegistry();
  readonly logger: Logger;
  #settings: Settings;
  #broker: Broker | null = null;
  #backend: ResultBackend | null = null;
  #pool: ConnectionPool | null = null;
  readonly #workers = new Set<Worker>();
  #closed = false;

  constructor(
    readonly name: string,
    config: AppConfig = {},
  ) {
    if (typeof name !== 'string' || !name) throw expected('name', 'a non-empty string', name);
    const { broker, backend, logger, ...rest } = config;
    if (broker !== undefined && rest.brokerUrl !== undefined) throw new ConfigurationError('Give `broker` or `brokerUrl`, not both');
    if (backend !== undefined && rest.resultBackend !== undefined) throw new ConfigurationError('Give `backend` or `resultBackend`, not both');
    const input: Record<string, unknown> = { ...rest };
    if (broker !== undefined) input.brokerUrl = broker;
    if (backend !== undefined) input.resultBackend = backend;
    this.#settings = { ...DEFAULT_SETTINGS, ...validateSettings(input) };
    this.logger = logger ?? consoleLogger('warn');
  }

  /** The settings in force (read-only). */
  get settings(): Readonly<Settings> {
    return this.#settings;
  }

  /** Changes settings; only before the app first talks to its broker or backend. */
  configure(settings: SettingsInput): this {
    if (this.#broker || this.#backend) {
      throw new ConfigurationError('Settings cannot change after the app has connected; configure it before the first .delay() or worker');
    }
    this.#settings = { ...this.#settings, ...validateSettings(settings as Record<string, unknown>) };
    this.#routes = null;
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
    return (this.#pool ??= new ConnectionPool(this.#settings.brokerConnectionTimeout, this.logger));
  }

  get broker(): Broker {
    this.#assertOpen();
    if (!this.#broker) {
      const url = this.#settings.brokerUrl;
      this.#broker = url.startsWith('memory:') ? new MemoryBroker(url) : new RedisBroker(url, this.pool);
    }
    return this.#broker;
  }

  get backend(): ResultBackend {
    this.#assertOpen();
    if (!this.#backend) {
      const url = this.#settings.resultBackend ?? this.#settings.brokerUrl;
      this.#backend = url.startsWith('memory:') ? new MemoryBackend(url) : new RedisBackend(url, this.pool);
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
    return this.#makeTask(def);
  }

  #makeTask(def: TaskDefinition): Task {
    const app = this;
    const call = (...args: unknown[]) => runEager(app, def, args, {}, { store: false });
    Object.defineProperties(call, {
      taskName: { value: def.name, enumerable: true },
      options: { value: Object.freeze({ ...def.options }), enumerable: true },
    });
    return Object.assign(call, {
      delay: (...args: unknown[]) => app.sendTask(def.name, args),
      applyAsync: (args: unknown[], options?: ApplyOptions) => app.sendTask(def.name, args ?? [], options),
      s: (...args: unknown[]) => new Signature(def.name, args),
      si: (...args: unknown[]) => new Signature(def.name, args, {}, {}, true),
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
      s: (...args: Partial<A>) => new Signature(name, args, {}, options),
      si: (...args: A) => new Signature(name, args, {}, options, true),
    };
  }

  /** Which queue and priority a call goes to: the call's own, then the task's, then `taskRoutes`, then the default. */
  route(name: string, options: ApplyOptions = {}): { queue: string; priority: number } {
    const taskOpts = this.registry.get(name)?.options ?? {};
    const route = options.queue === undefined && taskOpts.queue === undefined ? this.#matchRoute(name) : undefined;
    return {
      queue: options.queue ?? taskOpts.queue ?? route?.queue ?? this.#settings.taskDefaultQueue,
      priority: options.priority ?? taskOpts.priority ?? route?.priority ?? 0,
    };
  }

  #routes: [pattern: string, route: TaskRoute][] | null = null;

  /** The first `taskRoutes` entry matching the name: exact, or a prefix ending in `*`. */
  #matchRoute(name: string): TaskRoute | undefined {
    this.#routes ??= Object.entries(this.#settings.taskRoutes).map(([p, r]) => [p, typeof r === 'string' ? { queue: r } : r]);
    for (const [pattern, route] of this.#routes) {
      if (pattern === name || (pattern.endsWith('*') && name.startsWith(pattern.slice(0, -1)))) return route;
    }
    return undefined;
  }

  /** Builds the message of a call (validated, serialisable), without sending it. */
  buildMessage(name: string, args: unknown[], options: ApplyOptions = {}): TaskMessage {
    if (!Array.isArray(args)) throw expected('args', 'an array', args);
    const kwargs = options.kwargs ?? {};
    if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) throw expected('kwargs', 'an object', kwargs);
    validateApplyOptions(options);
    assertSerializable(name, args, kwargs);
    const now = Date.now();
    const { queue, priority } = this.route(name, options);
    const taskOpts = this.registry.get(name)?.options ?? {};
    const id = options.taskId ?? randomUUID();
    const timeLimit = options.timeLimit ?? null;
    const links = (l: Signature | Signature[] | undefined) => (l === undefined ? null : (Array.isArray(l) ? l : [l]).map((s) => s.toDict()));
    // NOTE: spelled out rather than spread over defaults: this runs for every send, and a fixed shape is faster.
    return {
      id,
      task: name,
      args,
      kwargs,
      queue,
      priority,
      eta: options.eta !== undefined ? toMs(options.eta, 'eta') : options.countdown !== undefined ? now + options.countdown : null,
      expires: options.expires === undefined ? null : options.expires instanceof Date ? options.expires.getTime() : now + options.expires,
      retries: 0,
      rootId: options.rootId ?? id,
      parentId: options.parentId ?? null,
      group: null,
      groupIndex: null,
      timeLimit: [timeLimit, null],
      ignoreResult: options.ignoreResult ?? taskOpts.ignoreResult ?? this.#settings.taskIgnoreResult,
      origin: ORIGIN,
      lang: 'py',
      replyTo: '',
      deliveryTag: randomUUID(),
      redelivered: false,
      callbacks: links(options.link),
      errbacks: links(options.linkError),
      chain: null,
      chord: null,
    };
  }

  /** Sends a message built by buildMessage; refuses one over `taskMessageMaxSize`. */
  publish(msg: TaskMessage): Promise<void> {
    try {
      return this.broker.publish(msg.queue, msg.priority, this.#encode(msg));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #encode(msg: TaskMessage): string {
    const raw = encodeMessage(msg);
    // NOTE: bytes, not UTF-16 characters (argsrepr may hold non-ASCII text); a character is at most 3 bytes,
    // so short messages skip the count.
    const bytes = raw.length * 3 <= this.#settings.taskMessageMaxSize ? raw.length : Buffer.byteLength(raw);
    if (bytes > this.#settings.taskMessageMaxSize) {
      throw new SerializationError(
        `Cannot send task "${msg.task}": the message is ${bytes} bytes, over taskMessageMaxSize (${this.#settings.taskMessageMaxSize} bytes). Nothing was sent; pass a reference (a URL, a row id) instead of the data.`,
      );
    }
    return raw;
  }

  /** Sends a task by name, also one that lives in another codebase (a Python worker's `proj.add`). */
  async sendTask<R = unknown>(name: string, args: unknown[] = [], options: ApplyOptions = {}): Promise<AsyncResult<R>> {
    this.#assertOpen();
    const msg = this.buildMessage(name, args, options);
    if (this.#settings.taskAlwaysEager) {
      const def = this.registry.require(name);
      await runEager(this, def, args, msg.kwargs, { store: true, id: msg.id, propagate: this.#settings.taskEagerPropagates });
      return new AsyncResult<R>(msg.id, this);
    }
    await this.broker.publish(msg.queue, msg.priority, this.#encode(msg));
    return new AsyncResult<R>(msg.id, this);
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

  /** Closes workers (warm), then the broker and backend connections. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await Promise.all([...this.#workers].map((w) => w.close()));
    this.#closed = true;
    await Promise.all([this.#broker?.close(), this.#backend?.close()]);
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
  if (o.retryBackoffMax !== undefined) checkInt(at('retryBackoffMax'), o.retryBackoffMax, 0);
  if (o.priority !== undefined) checkPriority(o.priority);
  if (o.queue !== undefined && (typeof o.queue !== 'string' || !o.queue)) throw expected(at('queue'), 'a non-empty string', o.queue);
  if (o.autoretryFor !== undefined && typeof o.autoretryFor !== 'function' && !Array.isArray(o.autoretryFor)) {
    throw expected(at('autoretryFor'), 'an array of error classes or a predicate', o.autoretryFor);
  }
}

function checkPriority(p: unknown): void {
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 9) throw expected('priority', 'an integer from 0 to 9', p);
}

function validateApplyOptions(o: ApplyOptions): void {
  if (o.countdown !== undefined && (typeof o.countdown !== 'number' || !Number.isFinite(o.countdown) || o.countdown < 0)) {
    throw expected('countdown', 'a number of milliseconds >= 0', o.countdown);
  }
  if (o.priority !== undefined) checkPriority(o.priority);
  if (o.queue !== undefined && (typeof o.queue !== 'string' || !o.queue)) throw expected('queue', 'a non-empty string', o.queue);
  if (o.taskId !== undefined && (typeof o.taskId !== 'string' || !o.taskId)) throw expected('taskId', 'a non-empty string', o.taskId);
  if (o.expires !== undefined && !(o.expires instanceof Date) && (typeof o.expires !== 'number' || !Number.isFinite(o.expires))) {
    throw expected('expires', 'a Date or a number of milliseconds', o.expires);
  }
  if (o.timeLimit !== undefined) checkInt('timeLimit', o.timeLimit, 1);
}

/** `createApp('shop', { broker: 'redis://…' })`, like `Celery('shop', broker=…)`. */
export function createApp(name: string, config: AppConfig = {}): Celeriac {
  return new Celeriac(name, config);
}
