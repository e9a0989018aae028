// The worker: fetches messages (acks late), runs them with bounded concurrency, beats its heart so
// others can recover its messages if it dies, and shuts down warm (finish, give back) or cold.
import { randomBytes } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { BrokerConsumer, ControlCommand, Delivery, WorkerInfo } from '../broker/broker';
import { checkInt, expected } from '../config';
import { MalformedMessage, decodeMessage } from '../protocol/message';
import type { Logger } from '../utils/logger';
import type { WorkerContext } from './context';
import { TypedEmitter } from './events';
import { Job, WorkerShutdown, execute, type JobHost } from './request';

/** @publicApi */
export interface WorkerOptions {
  /** Queues to consume, in order of preference. @default [taskDefaultQueue] */
  queues?: string[];
  /** Tasks run at once. @default workerConcurrency (10) */
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
  readonly consumer: BrokerConsumer;

  readonly #buffer: Job[] = [];
  readonly #running = new Map<string, Job>();
  /** Jobs whose function has ended and whose state, follow-ups and ack are being written. */
  #settling = 0;
  readonly #holding = new Map<string, { job: Job; timer: NodeJS.Timeout }>();
  readonly #revoked = new Map<string, number>();
  #state: 'new' | 'running' | 'closing' | 'closed' = 'new';
  #processed = 0;
  #loop: Promise<void> | null = null;
  #slotFreed: (() => void) | null = null;
  #heartbeatTimer: NodeJS.Timeout | null = null;
  #promoteTimer: NodeJS.Timeout | null = null;
  #promoteAt: number | null = null;
  #unsubscribeControl: (() => Promise<void>) | null = null;
  #closing: Promise<void> | null = null;
  #givingUp = false;
  #idle = new Set<() => void>();
  readonly #pendingWrites = new Set<Promise<unknown>>();
  readonly startedAt = Date.now();

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
    this.heartbeatTimeout = checkInt('heartbeatTimeout', options.heartbeatTimeout ?? s.workerHeartbeatTimeout, 1);
    if (this.heartbeatTimeout <= this.heartbeatInterval) {
      throw expected('heartbeatTimeout', `greater than heartbeatInterval (${this.heartbeatInterval})`, this.heartbeatTimeout);
    }
    this.hostname = options.hostname ?? `celeriac@${osHostname()}`;
    this.id = `${this.hostname}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.logger = options.logger ?? app.logger;
    this.logsTasks = this.logger.isLevelEnabled?.('info') ?? true;
    this.consumer = app.broker.consumer({ queues: this.queues, workerId: this.id, heartbeatTimeout: this.heartbeatTimeout });
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

  /** Registers the worker, loads revocations, listens for control commands and starts fetching. */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new Error(`Worker ${this.id} was already started`);
    this.#state = 'running';
    try {
      this.#unsubscribeControl = await this.app.broker.onControl((cmd) => this.#onControl(cmd));
      const until = Date.now() + this.app.settings.workerRevokeExpires;
      for (const id of await this.app.broker.revokedIds()) this.#revoked.set(id, until);
      await this.#beat();
    } catch (err) {
      this.#state = 'closed';
      await this.#unsubscribeControl?.().catch(() => undefined);
      throw err;
    }
    this.#heartbeatTimer = setInterval(() => void this.#beat().catch((e) => this.reportError(e)), this.heartbeatInterval);
    this.#loop = this.#fetchLoop();
    this.logger.info(`worker ${this.id} ready: queues ${this.queues.join(',')}, concurrency ${this.concurrency}`);
    this.emit('ready');
  }

  async #beat(): Promise<void> {
    const { recovered, nextDue } = await this.consumer.heartbeat(this.info());
    if (recovered > 0) {
      this.logger.warn(`gave back ${recovered} message(s) held by dead workers`);
      this.emit('recovered', { count: recovered });
    }
    if (nextDue !== null) this.schedulePromote(nextDue);
  }

  #wantMore(): number {
    const capacity = this.concurrency * this.prefetchMultiplier;
    // NOTE: jobs being settled (result written, ack pending) have a bound of their own, two windows, so that the
    // round trips that settle one batch overlap with fetching and running the next, and a Redis outage cannot
    // pile up unbounded work.
    if (this.#settling >= 2 * capacity) return 0;
    const inHand = this.#running.size + this.#buffer.length;
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
      if (!def) return this.#background(this.deadLetter(d, `unknown task "${msg.task}": not registered on worker ${this.hostname}`));
      job = new Job(d, msg, def);
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
      const timer = setTimeout(() => {
        this.#holding.delete(d.tag);
        this.#buffer.push(job);
        this.#pump();
      }, wait);
      this.#holding.set(d.tag, { job, timer });
      return;
    }
    this.#buffer.push(job);
    this.#pump();
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
      void execute(this, job)
        .catch((err) => this.reportError(err))
        .finally(() => {
          if (!this.#running.delete(job.delivery.tag)) this.#settling--;
          this.#processed++;
          this.#afterJob();
        });
    }
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
    return this.#running.size === 0 && this.#buffer.length === 0 && this.#settling === 0;
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
    this.#promoteTimer = setTimeout(async () => {
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
    const until = this.#revoked.get(id);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#revoked.delete(id);
    return false;
  }

  #onControl(cmd: ControlCommand): void {
    if (cmd.method !== 'revoke') return;
    const raw = cmd.arguments.task_id;
    const ids = (Array.isArray(raw) ? raw : [raw]).filter((x): x is string => typeof x === 'string');
    const until = Date.now() + this.app.settings.workerRevokeExpires;
    for (const id of ids) {
      this.#revoked.set(id, until);
      this.logger.info(`task ${id} flagged as revoked`);
      if (cmd.arguments.terminate === true) {
        for (const job of this.#running.values()) if (job.msg.id === id) job.cancellation.cancel(new Error('terminated'));
      }
    }
  }

  /** Runs a broker write until it succeeds (Redis may be away for a while); gives up only on a cold shutdown. */
  async durable<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    let wait = 100;
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (this.#givingUp) {
          this.logger.error(`${what} abandoned at shutdown (the message stays recoverable): ${(err as Error).message}`);
          return undefined;
        }
        this.reportError(err);
        await sleep(wait);
        wait = Math.min(2_000, wait * 2);
      }
    }
  }

  reportError(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    if (this.listenerCount('error') > 0) this.emit('error', error);
    else this.logger.error(error.message);
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

  async #shutdown(timeout: number): Promise<void> {
    this.#state = 'closing';
    this.consumer.wake();
    this.#slotFreed?.();
    if (this.#heartbeatTimer) clearInterval(this.#heartbeatTimer);
    if (this.#promoteTimer) clearTimeout(this.#promoteTimer);
    await this.#loop;
    const back = this.#buffer.splice(0).map((j) => j.delivery);
    for (const { job, timer } of this.#holding.values()) {
      clearTimeout(timer);
      back.push(job.delivery);
    }
    this.#holding.clear();
    const grace = setTimeout(() => this.#abortRunning(), timeout);
    if (back.length) await this.durable('give back', () => this.consumer.requeue(back));
    await this.onIdle();
    await Promise.all([...this.#pendingWrites]);
    clearTimeout(grace);
    await this.#unsubscribeControl?.().catch(() => undefined);
    await this.consumer.stop();
    this.#state = 'closed';
    this.logger.info(`worker ${this.id} closed (${this.#processed} processed)`);
    this.emit('closed');
  }
}
