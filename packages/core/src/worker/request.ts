// One message on a worker: run it, store its state, send its callbacks, then ack (acks late).
import type { BrokerConsumer, Delivery, SlotRequest } from '../broker/broker';
import { TimeLimitExceeded } from '../errors';
import { describeThrown } from '../protocol/result-meta';
import type { SignatureDict, TaskMessage } from '../protocol/message';
import type { ResultMeta } from '../protocol/result-meta';
import type { TaskDefinition } from '../task';
import type { Logger } from '../utils/logger';
import type { WorkerContext } from './context';
import type { TaskEventInfo, WorkerEvents } from './events';
import type { TaskEvents } from './celery-events';
import { failureInfo, metas, unstorableResult } from './meta';
import { chordPart } from './chord';
import { States } from '../states';
import { Cancellation, type Outcome } from './trace';
import type { TaskPool } from './pool/pool';

/** Abort reason of a cold shutdown: the message goes back to its queue. */
export class WorkerShutdown extends Error {
  constructor() {
    super('worker shut down');
    this.name = 'WorkerShutdown';
  }
}

/**
 * A broker or backend write given up at a cold shutdown (Redis away): what follows it (the ack above all) must
 * not run, so the message stays in the unacked hash and another worker recovers it.
 */
export class AbandonedWrite extends Error {
  constructor(readonly what: string, options?: { cause?: unknown }) {
    super(`${what} abandoned at shutdown`, options);
    this.name = 'AbandonedWrite';
  }
}

export class Job {
  readonly cancellation = new Cancellation();
  /** Its rate-limit slot was reserved (admission.ts). */
  rateChecked = false;
  /** The per-key concurrency slot it holds while it runs (admission.ts). */
  slot: SlotRequest | null = null;
  /** The task goes on as another message (a retry) or was given back: its dedup key stays held. */
  handedOn = false;
  /** When its function began (epoch ms), for remote control's `inspect active`. */
  startedAt: number | undefined;
  constructor(
    readonly delivery: Delivery,
    readonly msg: TaskMessage,
    readonly def: TaskDefinition,
  ) {}
}

/** What `execute` needs from the worker. */
export interface JobHost {
  readonly app: WorkerContext;
  readonly hostname: string;
  readonly consumer: BrokerConsumer;
  /** Stores a final state and acks in one step, when the backend shares the broker's connection (else null). */
  readonly storeAndAck: ((d: Delivery, meta: ResultMeta, expiresMs: number) => Promise<void>) | null;
  /** Where task functions run. */
  readonly pool: TaskPool;
  readonly logger: Logger;
  /** Whether per-task info lines are wanted (they cost a string per task). */
  readonly logsTasks: boolean;
  /** Whether the debug lines ("started") are wanted. */
  readonly logsDebug: boolean;
  listenerCount(event: keyof WorkerEvents): number;
  isRevoked(id: string): boolean;
  /** Retries `fn` while the broker/backend is away; throws a permanent error, or AbandonedWrite at a cold shutdown. */
  durable<T>(what: string, fn: () => Promise<T>): Promise<T>;
  deadLetter(d: Delivery, reason: string): Promise<void>;
  reportError(err: unknown): void;
  /** The task function has ended; its concurrency slot is free while the outcome is written. */
  release(job: Job): void;
  /** The job is over: stored and acked, given back, or left for recovery. */
  finished(job: Job): void;
  /** A write nothing waits for: its failure is reported (once for writes that share one promise). */
  bestEffort(write: Promise<unknown>): void;
  emit<K extends keyof WorkerEvents>(event: K, ...args: WorkerEvents[K]): boolean;
  /** Celery's task events, when on (-E). */
  readonly events: TaskEvents | null;
}

/** An exception for the log: its stack (which starts with name and message), or what was thrown. */
function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : describeThrown(error);
}

/** Why a task asked for a retry, in one line. */
function reason(exc: unknown): string {
  if (exc instanceof Error) return `${exc.name}: ${exc.message}`;
  return exc === undefined || exc === null ? 'no reason given' : describeThrown(exc);
}

function eventInfo(msg: TaskMessage): TaskEventInfo {
  return { taskId: msg.id, name: msg.task, queue: msg.queue, retries: msg.retries };
}

function storeMeta(host: JobHost, meta: ResultMeta): Promise<unknown> {
  return host.durable('store result', () => host.app.backend.store(meta, host.app.settings.resultExpires));
}

function send(host: JobHost, msg: TaskMessage): Promise<unknown> {
  return host.durable(`send ${msg.task}`, () => host.app.producer.publish(msg));
}

/** The message of a follow-up call (link, chain step), with workflow ids from its parent. */
function followUp(host: JobHost, parent: TaskMessage, sig: SignatureDict, args: unknown[]): TaskMessage {
  return host.app.producer.followUp(parent, sig, args);
}

const NONE: readonly TaskMessage[] = [];

/** The messages a success sends: its callbacks (links) and the chain's next step. */
function followUps(host: JobHost, msg: TaskMessage, value: unknown): readonly TaskMessage[] {
  if (!msg.callbacks?.length && !msg.chain?.length) return NONE;
  const next: TaskMessage[] = [];
  for (const sig of msg.callbacks ?? []) next.push(followUp(host, msg, sig, sig.immutable ? sig.args : [value, ...sig.args]));
  if (msg.chain?.length) {
    const sig = msg.chain[msg.chain.length - 1]!;
    const m = followUp(host, msg, sig, sig.immutable ? sig.args : [value, ...sig.args]);
    m.chain = msg.chain.slice(0, -1);
    next.push(m);
  }
  return next;
}

async function onSuccess(host: JobHost, job: Job, value: unknown, store: boolean, runtime: number): Promise<void> {
  const { msg } = job;
  if (store || msg.callbacks?.length || msg.chain?.length) {
    const unstorable = unstorableResult(msg, value);
    if (unstorable) return onFailure(host, job, unstorable, store, runtime);
  }
  const next = followUps(host, msg, value);
  const together = host.storeAndAck;
  if (store && together && !next.length && !msg.chord) {
    // NOTE: nothing to send or count between the store and the ack: both go in one step (one round trip).
    const meta = metas.success(msg, value);
    await host.durable('store result and ack', () => together(job.delivery, meta, host.app.settings.resultExpires));
  } else {
    if (store) await storeMeta(host, metas.success(msg, value, next.map((m) => [[m.id, null], null])));
    for (const m of next) await send(host, m);
    if (msg.chord) await chordPart(host, msg, States.SUCCESS, value);
    await host.durable('ack', () => host.consumer.ack(job.delivery));
  }
  if (host.logsTasks) host.logger.info(`Task ${msg.task}[${msg.id}] succeeded in ${(runtime / 1000).toFixed(3)}s`);
  host.events?.succeeded(msg, value, runtime);
  if (host.listenerCount('completed')) host.emit('completed', { ...eventInfo(msg), result: value, runtime });
}

async function onFailure(host: JobHost, job: Job, error: unknown, store: boolean, runtime: number, errbacks = true): Promise<void> {
  const { msg } = job;
  if (store) {
    await storeMeta(host, metas.failure(msg, error));
    // NOTE: as Celery's mark_as_failure: the chain's remaining steps (preassigned ids) fail too, so a get()
    // on the chain's last task (Python's chain().get()) raises instead of waiting forever.
    for (const sig of msg.chain ?? []) {
      const id = sig.options?.task_id;
      const group = sig.options?.group_id;
      if (typeof id === 'string' && id) {
        await storeMeta(host, metas.failure({ ...msg, id, task: sig.task, parentId: null, group: typeof group === 'string' ? group : null }, error));
      }
    }
  }
  if (errbacks) {
    for (const sig of msg.errbacks ?? []) {
      // NOTE: the task's own failure is stored already; an errback that can never be sent is reported, not stored over it.
      try {
        await send(host, followUp(host, msg, sig, [msg.id, ...sig.args]));
      } catch (err) {
        if (err instanceof AbandonedWrite) throw err;
        host.reportError(err);
      }
    }
  }
  await chordPart(host, msg, States.FAILURE, failureInfo(error));
  await host.durable('ack', () => host.consumer.ack(job.delivery));
  host.logger.error(`Task ${msg.task}[${msg.id}] failed in ${(runtime / 1000).toFixed(3)}s: ${describe(error)}`);
  host.events?.failed(msg, error);
  host.emit('failed', { ...eventInfo(msg), error, runtime });
}

async function onRetry(host: JobHost, job: Job, countdown: number, exc: unknown, store: boolean): Promise<void> {
  const { msg } = job;
  if (store) await storeMeta(host, metas.retry(msg, exc));
  const again = host.app.producer.retryOf(msg, countdown);
  job.handedOn = true;
  await send(host, again);
  await host.durable('ack', () => host.consumer.ack(job.delivery));
  if (host.logsTasks) host.logger.info(`Task ${msg.task}[${msg.id}] retry in ${countdown}ms (retry ${msg.retries + 1}): ${reason(exc)}`);
  host.events?.retried(msg, exc);
  host.emit('retried', { ...eventInfo(msg), countdown, error: exc });
}

/** Discards a revoked or expired task: REVOKED is stored and the message acked. */
export async function discard(host: JobHost, job: Job, reason: string): Promise<void> {
  await storeMeta(host, metas.revoked(job.msg, reason));
  await chordPart(host, job.msg, States.REVOKED, metas.revoked(job.msg, reason).result);
  await host.durable('ack', () => host.consumer.ack(job.delivery));
  host.logger.info(`Discarding ${reason} task ${job.msg.task}[${job.msg.id}]`);
  host.events?.revoked(job.msg, reason);
  host.emit('revoked', { ...eventInfo(job.msg), reason });
}

/** Runs a job to its end (stored, acked, or given back); never rejects: the worker hears of it through `finished`. */
export async function execute(host: JobHost, job: Job): Promise<void> {
  try {
    await runAndSettle(host, job);
  } catch (err) {
    host.reportError(err);
  } finally {
    host.finished(job);
  }
}

async function runAndSettle(host: JobHost, job: Job): Promise<void> {
  const { msg, def } = job;
  if (host.isRevoked(msg.id)) return discard(host, job, 'revoked');
  if (msg.expires !== null && msg.expires <= Date.now()) return discard(host, job, 'expired');
  const settings = host.app.settings;
  const store = !(msg.ignoreResult || (def.options.ignoreResult ?? settings.taskIgnoreResult));
  if (store && (def.options.trackStarted ?? settings.taskTrackStarted)) {
    // NOTE: best effort and not awaited: the same connection keeps it ahead of the final state.
    host.bestEffort(host.app.backend.store(metas.started(msg, host.hostname), settings.resultExpires));
  }
  if (host.logsDebug) host.logger.debug(`Task ${msg.task}[${msg.id}] started`);
  job.startedAt = Date.now();
  host.events?.started(msg);
  if (host.listenerCount('started')) host.emit('started', eventInfo(msg));
  const t0 = performance.now();
  const outcome = await host.pool.run({
    msg,
    def,
    settings,
    hostname: host.hostname,
    cancellation: job.cancellation,
    updateState: (state, meta) => host.app.backend.store(metas.custom(msg, state, meta), settings.resultExpires),
  });
  const runtime = performance.now() - t0;
  host.release(job);
  try {
    return await settle(host, job, outcome, store, runtime);
  } catch (err) {
    return settleFailed(host, job, err, store, runtime);
  }
}

/**
 * Settling failed for good (a write that cannot succeed: a follow-up message too large, a value a backend cannot
 * encode…): the task is stored as FAILURE and acked instead, so nothing waits on it forever; if even that fails,
 * the message is dead-lettered with the reason. Only an abandoned write (cold shutdown) leaves it unacked.
 */
async function settleFailed(host: JobHost, job: Job, err: unknown, store: boolean, runtime: number): Promise<void> {
  if (err instanceof AbandonedWrite) return;
  const { msg } = job;
  try {
    await onFailure(host, job, err, store, runtime, false);
  } catch (again) {
    if (again instanceof AbandonedWrite) return;
    host.reportError(again);
    const why = again instanceof Error ? again.message : describeThrown(again);
    await host.deadLetter(job.delivery, `task ${msg.task}[${msg.id}] could not be settled: ${why}`);
  }
}

async function settle(host: JobHost, job: Job, outcome: Outcome, store: boolean, runtime: number): Promise<void> {
  const { msg } = job;
  switch (outcome.kind) {
    case 'success':
      return onSuccess(host, job, outcome.value, store, runtime);
    case 'failure':
      return onFailure(host, job, outcome.error, store, runtime);
    case 'retry':
      return onRetry(host, job, outcome.countdown, outcome.exc, store);
    case 'reject':
      if (outcome.requeue) {
        job.handedOn = true;
        await host.durable('give back', () => host.consumer.requeue([job.delivery]));
        return;
      }
      // NOTE: a chord must not wait forever for a header task that will not run again: it counts as failed.
      await chordPart(host, msg, States.FAILURE, { exc_type: 'Reject', exc_message: [outcome.reason], exc_module: 'celery.exceptions' });
      return host.deadLetter(job.delivery, `rejected by task ${msg.task}: ${outcome.reason}`);
    case 'aborted':
      if (outcome.reason instanceof WorkerShutdown) {
        job.handedOn = true;
        await host.durable('give back', () => host.consumer.requeue([job.delivery]));
        return;
      }
      if (outcome.reason instanceof TimeLimitExceeded) return onFailure(host, job, outcome.reason, store, runtime);
      return discard(host, job, 'terminated');
  }
}
