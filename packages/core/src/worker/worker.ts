// The worker: fetches messages (acks late), runs them with bounded concurrency, beats its heart so
// others can recover its messages if it dies, and shuts down warm (finish, give back) or cold.
import { randomBytes } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { BrokerConsumer, ControlCommand, Delivery, WorkerInfo } from '../broker/broker';
import { RevokedSet } from '../broker/revoked';
import { checkInt, expected } from '../config';
import { isTransient } from '../errors';
import { MalformedMessage, decodeMessage, type TaskMessage } from '../protocol/message';
import type { Logger } from '../utils/logger';
import type { ResultMeta } from '../protocol/result-meta';
import { MAX_TIMER_MS, setLongTimeout } from '../utils/timers';
import { startBackendCleanup } from './cleanup';
import { banner, unconsumed, type BannerInfo } from './banner';
import { OutageLog } from './outage';
import type { WorkerContext } from './context';
import { TypedEmitter } from './events';
import { metas } from './meta';
import { chordPart } from './chord';
import { States } from '../states';
import { AbandonedWrite, Job, WorkerShutdown, execute, type JobHost } from './request';
import { Admission } from './admission';
import { WorkerMonitoring } from './monitoring';
import { addressedTo } from './remote-control';
import type { TaskEvents } from './celery-events';
import { startLiveness, type LivenessThread } from './liveness';
import { createPool, type PoolOptions } from './pool/create';
import type { TaskPool } from './pool/pool';

/** @publicApi */
export interface WorkerOptions extends PoolOptions {
  /** Queues to consume, in order of preference. @default [taskDefaultQueue] */
  queues?: string[];
  /** Tasks run at once (with pool threads or processes: the pool's size). @default workerConcurrency (10) */
  concurrency?: number;
  /** Messages reserved per slot. @default workerPrefetchMultiplier (4) */
  prefetchMultiplier?: number;
  /** Name shown by `celeriac status`. @default `celeriac@<host>` */
  hostname?: string;
  /** Warm-shutdown grace period. @default workerShutdownTimeout (30 000) */
  shutdownTimeout?: number;
  /** @default workerHeartbeatInterval (2 000) */
  heartbeatInterval?: number;
  /** @default workerHeartbeatTimeout (10 000) */
  heartbeatTimeout?: number;
  /** @default the app's logger */
  logger?: Logger;
  /** Send Celery's task events (`-E`). @default workerSendTaskEvents (false) */
  sendTaskEvents?: boolean;
}

// NOTE: a task due within this many ms waits in memory; a later one is parked in the broker's delayed set.
const HOLD_IN_MEMORY_MS = 1_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Worker extends TypedEmitter implements JobHost {
  readonly id: string;
  readonly hostname: string;
  readonly queues: string[];
  readonly concurrency: number;
  readonly prefetchMultiplier: number;
  readonly shutdownTimeout: number;
  readonly heartbeatInterval: number;
  readonly heartbeatTimeout: number;
  readonly logger: Logger;
  readonly logsTasks: boolean;
  /** Whether "received" / "started" lines are wanted (debug). */
  readonly logsDebug: boolean;
  readonly consumer: BrokerConsumer;
  readonly storeAndAck: ((d: Delivery, meta: ResultMeta, expiresMs: number) => Promise<void>) | null;
  readonly pool: TaskPool;

  readonly #buffer: Job[] = [];
  readonly #running = new Map<string, Job>();
  /** Jobs whose function has ended and whose state, follow-ups and ack are being written. */
  #settling = 0;
  readonly #holding = new Map<string, { job: Job; timer: NodeJS.Timeout }>();
  readonly #revoked = new RevokedSet();
  #state: 'new' | 'running' | 'closing' | 'closed' = 'new';
  #processed = 0;
  #loop: Promise<void> | null = null;
  #slotFreed: (() => void) | null = null;
  #heartbeatTimer: NodeJS.Timeout | null = null;
  #liveness: LivenessThread | null = null;
  #stopCleanup: (() => Promise<void>) | null = null;
  #promoteTimer: NodeJS.Timeout | null = null;
  #promoteAt: number | null = null;
  #unsubscribeControl: (() => Promise<void>) | null = null;
  #closing: Promise<void> | null = null;
  #givingUp = false;
  #idle = new Set<() => void>();
  readonly #pendingWrites = new Set<Promise<unknown>>();
  #lastBestEffort: Promise<unknown> | null = null;
  readonly #reportError = (err: unknown) => this.reportError(err);
  readonly #outage: OutageLog;
  readonly #admission = new Admission(this, HOLD_IN_MEMORY_MS);
  /** Jobs waiting for their rate or per-key slot to be decided (admission.ts). */
  #admitting = 0;
  #reapsSlots = false;
  readonly startedAt = Date.now();
  /** Tasks run, by name (remote control's `stats`). */
  readonly totals = new Map<string, number>();
  readonly monitoring: WorkerMonitoring;

  constructor(
    readonly app: WorkerContext,
    options: WorkerOptions = {},
  ) {
    super();
    const s = app.settings;
    this.queues = options.queues ?? [s.taskDefaultQueue];
    if (!Array.isArray(this.queues) || !this.queues.length || this.queues.some((q) => typeof q !== 'string' || !q)) {
      throw expected('queues', 'a non-empty array of queue names', options.queues);
    }
    this.concurrency = checkInt('concurrency', options.concurrency ?? s.workerConcurrency, 1);
    this.prefetchMultiplier = checkInt('prefetchMultiplier', options.prefetchMultiplier ?? s.workerPrefetchMultiplier, 1);
    this.shutdownTimeout = checkInt('shutdownTimeout', options.shutdownTimeout ?? s.workerShutdownTimeout, 0);
    this.heartbeatInterval = checkInt('heartbeatInterval', options.heartbeatInterval ?? s.workerHeartbeatInterval, 1);
    if (this.heartbeatInterval > MAX_TIMER_MS) {
      // NOTE: Node runs a longer interval every millisecond: refuse it rather than beat a thousand times a second.
      throw expected('heartbeatInterval', `at most ${MAX_TIMER_MS} ms (Node's longest timer, about 24.8 days)`, this.heartbeatInterval);
    }
    this.heartbeatTimeout = checkInt('heartbeatTimeout', options.heartbeatTimeout ?? s.workerHeartbeatTimeout, 1);
    if (this.heartbeatTimeout <= this.heartbeatInterval) {
      throw expected('heartbeatTimeout', `greater than heartbeatInterval (${this.heartbeatInterval})`, this.heartbeatTimeout);
    }
    this.hostname = options.hostname ?? `celeriac@${osHostname()}`;
    this.id = `${this.hostname}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.logger = options.logger ?? app.logger;
    this.logsTasks = this.logger.isLevelEnabled?.('info') ?? true;
    this.logsDebug = this.logger.isLevelEnabled?.('debug') ?? true;
    this.#outage = new OutageLog(this.logger, () => this.app.broker.url);
    this.pool = createPool(options, s, this.concurrency, this.logger);
    this.consumer = app.broker.consumer({
      queues: this.queues,
      workerId: this.id,
      heartbeatTimeout: this.heartbeatTimeout,
      prefetch: this.concurrency * this.prefetchMultiplier,
    });
    this.storeAndAck = this.consumer.ackWithResult?.(app.backend) ?? null;
    this.monitoring = new WorkerMonitoring(this, app.broker, options.sendTaskEvents ?? s.workerSendTaskEvents, s.eventHistoryMax);
  }

  /** Task events, when on (JobHost). */
  get events(): TaskEvents | null {
    return this.monitoring.taskEvents;
  }

  get brokerUrl(): string {
    return this.app.broker.url;
  }

  /** What runs, waits in the buffer, and waits in memory for its eta (remote control's inspect). */
  jobs(): { active: Job[]; reserved: Job[]; scheduled: Job[] } {
    return { active: [...this.#running.values()], reserved: [...this.#buffer], scheduled: [...this.#holding.values()].map((h) => h.job) };
  }

  registered(): string[] {
    return this.app.registry.names();
  }

  revokedIds(): string[] {
    return this.#revoked.entries().map((e) => e.id);
  }

  setTaskEvents(on: boolean): boolean {
    return this.monitoring.setTaskEvents(on);
  }

  get running(): number {
    return this.#running.size;
  }

  get processed(): number {
    return this.#processed;
  }

  info(): WorkerInfo {
    return {
      id: this.id,
      hostname: this.hostname,
      pid: process.pid,
      queues: this.queues,
      concurrency: this.concurrency,
      startedAt: this.startedAt,
      active: this.#running.size,
      processed: this.#processed,
    };
  }

  #bannerInfo(): BannerInfo {
    const names = this.app.registry.names();
    return {
      hostname: this.hostname,
      app: this.app.name,
      transport: this.app.broker.url,
      results: this.app.backend.url,
      concurrency: this.concurrency,
      prefetchMultiplier: this.prefetchMultiplier,
      pool: this.pool.kind,
      queues: this.queues,
      tasks: names.map((name) => ({ name, queue: this.app.producer.route(name).queue })),
    };
  }

  /** The start-up banner (app, transport and results URLs without passwords, concurrency, queues, tasks), for a log. */
  banner(): string {
    return banner(this.#bannerInfo());
  }

  /** Registered tasks routed (`app.route(name)`) to queues this worker does not consume. */
  unconsumedRoutes(): { task: string; queue: string }[] {
    return unconsumed(this.#bannerInfo());
  }

  /** Registers the worker, loads revocations, listens for control commands and starts fetching. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`Worker ${this.id} was already started`);
    this.#admission.check();
    this.#reapsSlots = this.#admission.usesSlots();
    this.#state = 'running';
    try {
      await this.pool.start();
      this.#unsubscribeControl = await this.app.broker.onControl((cmd) => this.#onControl(cmd));
      // NOTE: each with the expiry it was stored with, not a new one from now: a restart does not extend revocations.
      for (const { id, until } of await this.app.broker.revoked()) this.#revoked.add(id, until);
      // NOTE: start() registers what this worker will hold, so that others can recover it if it dies.
      await this.consumer.start(this.info());
      await this.#beat();
      this.monitoring.start();
    } catch (err) {
      this.#state = 'closed';
      await this.#unsubscribeControl?.().catch(() => undefined);
      await this.pool.close();
      throw err;
    }
    this.#liveness = startLiveness(this.consumer, this.heartbeatInterval, this.logger);
    this.#heartbeatTimer = setInterval(() => void this.#beat().catch((e) => this.reportError(e)), this.heartbeatInterval);
    this.#stopCleanup = startBackendCleanup(this.app.backend, this.app.settings.resultExpires, this.logger, (e) => this.reportError(e));
    this.#loop = this.#fetchLoop();
    this.logger.info(`worker ${this.id} ready: queues ${this.queues.join(',')}, concurrency ${this.concurrency}`);
    this.emit('ready');
  }

  async #beat(): Promise<void> {
    const { recovered, nextDue } = await this.consumer.heartbeat(this.info());
    this.#liveness?.mainBeat();
    this.#outage.recovered();
    if (recovered > 0) {
      this.logger.warn(`gave back ${recovered} message(s) held by dead workers`);
      this.emit('recovered', { count: recovered });
    }
    if (nextDue !== null) this.schedulePromote(nextDue);
    // NOTE: after the heartbeat, which has just said this worker is alive: slots of dead workers come back.
    if (this.#reapsSlots) await this.consumer.reapSlots!();
  }

  #wantMore(): number {
    const capacity = this.concurrency * this.prefetchMultiplier;
    // NOTE: jobs being settled (result written, ack pending) have a bound of their own, two windows, so that the
    // round trips that settle one batch overlap with fetching and running the next, and a Redis outage cannot
    // pile up unbounded work.
    if (this.#settling >= 2 * capacity) return 0;
    const inHand = this.#running.size + this.#buffer.length + this.#admitting;
    const free = capacity - inHand;
    // NOTE: fetch half a window at a time, as soon as half is free: each round trip carries many messages,
    // and the next batch arrives while the current one still runs.
    const batch = Math.max(1, Math.floor(capacity / 2));
    return inHand === 0 || free >= batch ? Math.min(free, batch) : 0;
  }

  async #fetchLoop(): Promise<void> {
    let backoff = 0;
    while (this.#state === 'running') {
      const want = this.#wantMore();
      if (want === 0) {
        await new Promise<void>((r) => (this.#slotFreed = r));
        continue;
      }
      try {
        const deliveries = await this.consumer.fetch(want);
        backoff = 0;
        this.#outage.recovered();
        // NOTE: admitting is synchronous, so the next fetch is on its way while this batch runs.
        for (const d of deliveries) this.#admit(d);
      } catch (err) {
        this.reportError(err);
        backoff = Math.min(1_000, backoff ? backoff * 2 : 100);
        await sleep(backoff);
      }
    }
  }

  /** Broker writes made on the side (dead letters, deferrals); close() waits for them. */
  #background(p: Promise<unknown>): void {
    this.#pendingWrites.add(p);
    void p.catch((err) => this.reportError(err)).finally(() => this.#pendingWrites.delete(p));
  }

  #admit(d: Delivery): void {
    if (this.#state !== 'running') {
      this.#background(this.durable('give back', () => this.consumer.requeue([d])));
      return;
    }
    let job: Job;
    try {
      const msg = decodeMessage(d.raw, d.queue);
      const def = this.app.registry.get(msg.task);
      if (!def) return this.#background(this.#unknownTask(d, msg));
      job = new Job(d, msg, def);
      if (this.logsDebug) this.logger.debug(`Task ${msg.task}[${msg.id}] received`);
      this.monitoring.taskEvents?.received(msg);
    } catch (err) {
      if (err instanceof MalformedMessage) return this.#background(this.deadLetter(d, `malformed message: ${err.reason}`));
      throw err;
    }
    const { msg } = job;
    if (msg.eta !== null && msg.eta > Date.now() && !this.isRevoked(msg.id)) {
      const wait = msg.eta - Date.now();
      if (wait > HOLD_IN_MEMORY_MS) {
        const eta = msg.eta;
        this.#background(this.durable('defer', () => this.consumer.defer(d, eta)).then(() => this.schedulePromote(eta)));
        return;
      }
      this.#hold(job, msg.eta);
      return;
    }
    this.#enqueue(job);
  }

  #hold(job: Job, at: number): void {
    const tag = job.delivery.tag;
    const timer = setTimeout(() => {
      this.#holding.delete(tag);
      this.#enqueue(job);
    }, Math.max(0, at - Date.now()));
    this.#holding.set(tag, { job, timer });
  }

  /** To the buffer, once its rate and per-key slots allow (revoked and expired tasks go at once, to be discarded). */
  #enqueue(job: Job): void {
    const { msg } = job;
    if (!this.#admission.needed(job.def) || this.isRevoked(msg.id) || (msg.expires !== null && msg.expires <= Date.now())) {
      this.#buffer.push(job);
      this.#pump();
      return;
    }
    this.#admitting++;
    const admitted = this.#admission.admit(job).then((a) => {
      // NOTE: decided after close() began: into the buffer, which is given back below.
      if (a.kind === 'run' || (a.kind === 'hold' && this.#state !== 'running')) this.#buffer.push(job);
      else if (a.kind === 'hold') this.#hold(job, a.at);
      else if (a.kind === 'dead') return this.deadLetter(job.delivery, a.reason);
      return undefined;
    }, (err: unknown) => {
      // NOTE: a write that can never succeed: the message is kept with the reason rather than held here forever.
      if (err instanceof AbandonedWrite) return undefined;
      return this.deadLetter(job.delivery, `could not wait for its rate or per-key slot: ${err instanceof Error ? err.message : String(err)}`);
    });
    this.#background(
      admitted.finally(() => {
        this.#admitting--;
        if (this.#state === 'running') this.#pump();
        else this.#background(this.#giveBackBuffered());
        this.#wakeFetcher();
        if (this.#isIdle()) for (const r of [...this.#idle]) r();
      }),
    );
  }

  /**
   * NOTE: as Celery's worker does for a task it does not know, FAILURE (NotRegistered) is stored before the message
   * is dead-lettered, so a get() from Node or Python rejects at once instead of waiting for its timeout.
   */
  async #unknownTask(d: Delivery, msg: TaskMessage): Promise<void> {
    if (!msg.ignoreResult) {
      await this.durable('store result', () => this.app.backend.store(metas.notRegistered(msg), this.app.settings.resultExpires));
    }
    await chordPart(this, msg, States.FAILURE, metas.notRegistered(msg).result);
    await this.deadLetter(d, `unknown task "${msg.task}": not registered on worker ${this.hostname}`);
  }

  async deadLetter(d: Delivery, reason: string): Promise<void> {
    this.logger.error(`dead-lettered a message from ${d.queue}: ${reason}`);
    await this.durable('dead-letter', () => this.consumer.deadLetter(d, reason));
    this.emit('deadLettered', { reason, queue: d.queue });
  }

  #pump(): void {
    while (this.#state === 'running' && this.#running.size < this.concurrency && this.#buffer.length) {
      const job = this.#buffer.shift()!;
      this.#running.set(job.delivery.tag, job);
      void execute(this, job);
    }
  }

  finished(job: Job): void {
    if (job.slot || job.msg.dedup !== undefined) this.#background(this.#admission.finished(job));
    if (!this.#running.delete(job.delivery.tag)) this.#settling--;
    this.#processed++;
    this.totals.set(job.msg.task, (this.totals.get(job.msg.task) ?? 0) + 1);
    this.#afterJob();
  }

  bestEffort(write: Promise<unknown>): void {
    // NOTE: stores gathered in one turn share one promise: one handler for all of them.
    if (write === this.#lastBestEffort) return;
    this.#lastBestEffort = write;
    write.catch(this.#reportError);
  }

  #afterJob(): void {
    this.#pump();
    this.#wakeFetcher();
    if (this.#isIdle()) for (const r of [...this.#idle]) r();
  }

  /** The task function has ended: its slot goes to the next task while its result is written. */
  release(job: Job): void {
    if (this.#running.delete(job.delivery.tag)) {
      this.#settling++;
      this.#pump();
      this.#wakeFetcher();
    }
  }

  #wakeFetcher(): void {
    const wake = this.#slotFreed;
    this.#slotFreed = null;
    wake?.();
  }

  #isIdle(): boolean {
    return this.#running.size === 0 && this.#buffer.length === 0 && this.#settling === 0 && this.#admitting === 0;
  }

  /** Resolves when nothing is running or waiting in this worker's buffer. */
  onIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.#idle.delete(done);
        resolve();
      };
      this.#idle.add(done);
    });
  }

  schedulePromote(at: number): void {
    if (this.#state !== 'running') return;
    if (this.#promoteAt !== null && this.#promoteAt <= at) return;
    if (this.#promoteTimer) clearTimeout(this.#promoteTimer);
    this.#promoteAt = at;
    // NOTE: `at` comes from data (an eta in 2100, a 30-day countdown): a plain setTimeout would fire at once and spin.
    this.#promoteTimer = setLongTimeout(async () => {
      this.#promoteAt = null;
      this.#promoteTimer = null;
      try {
        const { nextDue } = await this.consumer.promoteDue();
        if (nextDue !== null) this.schedulePromote(Math.max(nextDue, Date.now() + 5));
      } catch (err) {
        this.reportError(err);
        this.schedulePromote(Date.now() + 500);
      }
    }, Math.max(0, at - Date.now()) + 2);
  }

  isRevoked(id: string): boolean {
    return this.#revoked.has(id);
  }

  #onControl(cmd: ControlCommand): void {
    this.monitoring.onControl(cmd);
    if (cmd.method !== 'revoke' || !addressedTo(cmd, this.hostname)) return;
    const raw = cmd.arguments.task_id;
    const ids = (Array.isArray(raw) ? raw : [raw]).filter((x): x is string => typeof x === 'string');
    if (!ids.length) return;
    const expires = this.app.settings.workerRevokeExpires;
    const until = Date.now() + expires;
    for (const id of ids) {
      this.#revoked.add(id, until);
      if (cmd.arguments.terminate === true) {
        for (const job of this.#running.values()) if (job.msg.id === id) job.cancellation.cancel(new Error('terminated'));
      }
    }
    const shown = ids.length > 10 ? `${ids.slice(0, 10).join(', ')} and ${ids.length - 10} more` : ids.join(', ');
    this.logger.info(`tasks flagged as revoked: ${shown}`);
    // NOTE: a revoke from Python (Celery's pidbox broadcast) lives only in the memory of the workers up now; every
    // celeriac worker that hears it stores it, as celeriac's own revoke() does, so a worker started later skips the
    // task too. The writes are idempotent (a set), so several workers storing the same ids is harmless.
    if (!cmd.stored && this.#state !== 'closed') {
      this.#background(this.durable('store revoked', () => this.app.broker.storeRevoked(ids, expires)));
    }
  }

  /**
   * Runs a broker write until it succeeds (Redis may be away for a while). Only a connection failure is waited
   * out: any other error (a value that cannot be encoded, a message too large) would fail the same way forever,
   * so it is thrown at once for the caller to fail the task. On a cold shutdown the write is given up with an
   * AbandonedWrite, and nothing after it (no ack) runs.
   */
  async durable<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let wait = 100;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (!isTransient(err)) throw err;
        if (this.#givingUp) {
          this.logger.error(`${what} abandoned at shutdown (the message stays recoverable): ${(err as Error).message}`);
          throw new AbandonedWrite(what, { cause: err });
        }
        this.reportError(err);
        await sleep(wait);
        wait = Math.min(2_000, wait * 2);
      }
    }
  }

  reportError(err: unknown): void {
    // NOTE: durable() logged it when it gave up; the message stays in the unacked hash on purpose.
    if (err instanceof AbandonedWrite) return;
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else if (!this.#outage.report(error)) this.logger.error(error.message);
  }

  /**
   * Warm shutdown: stop fetching, give back what is waiting, let running tasks finish within the grace period,
   * then abort and give back the rest. `close({ timeout: 0 })` during a warm shutdown makes it cold at once.
   */
  close(options: { timeout?: number } = {}): Promise<void> {
    const timeout = options.timeout ?? this.shutdownTimeout;
    if (this.#closing) {
      if (timeout === 0) this.#abortRunning();
      return this.#closing;
    }
    if (this.#state === 'new' || (this.#state === 'closed' && !this.#loop)) {
      // NOTE: also a worker whose start() failed: nothing runs, and Redis may be away (no deregister wait).
      this.#state = 'closed';
      this.emit('closed');
      return Promise.resolve();
    }
    this.#closing = this.#shutdown(timeout);
    return this.#closing;
  }

  #abortRunning(): void {
    this.#givingUp = true;
    for (const job of this.#running.values()) job.cancellation.cancel(new WorkerShutdown());
  }

  /** Closing: what waits in the buffer or in memory goes back to its queue (per-key slots given back). */
  async #giveBackBuffered(): Promise<void> {
    const jobs = this.#buffer.splice(0);
    for (const { job, timer } of this.#holding.values()) {
      clearTimeout(timer);
      jobs.push(job);
    }
    this.#holding.clear();
    if (!jobs.length) return;
    // NOTE: given up at a cold shutdown, they stay in the unacked hash, where another worker recovers them.
    try {
      await this.durable('give back', () => this.consumer.requeue(jobs.map((j) => j.delivery)));
      await Promise.all(jobs.map((j) => this.#admission.givenBack(j)));
    } catch (err) {
      this.reportError(err);
    }
  }

  async #shutdown(timeout: number): Promise<void> {
    this.#state = 'closing';
    this.consumer.wake();
    this.#slotFreed?.();
    if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer);
    if (this.#promoteTimer) clearTimeout(this.#promoteTimer);
    await this.#loop;
    const grace = setLongTimeout(() => this.#abortRunning(), timeout);
    await this.#giveBackBuffered();
    await this.onIdle();
    await Promise.all([...this.#pendingWrites]);
    clearTimeout(grace);
    await this.#unsubscribeControl?.().catch(() => undefined);
    await Promise.all([...this.#pendingWrites]);
    await this.monitoring.stop();
    await this.#stopCleanup?.();
    await this.pool.close();
    await this.#liveness?.stop();
    await this.consumer.stop();
    this.#state = 'closed';
    this.logger.info(`worker ${this.id} closed (${this.#processed} processed)`);
    this.emit('closed');
  }
}
