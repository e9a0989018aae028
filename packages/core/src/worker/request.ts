// One message on a worker: run it, store its state, send its callbacks, then ack (acks late).
import type { BrokerConsumer, Delivery } from '../broker/broker';
import { TimeLimitExceeded } from '../errors';
import type { SignatureDict, TaskMessage } from '../protocol/message';
import type { ResultMeta } from '../protocol/result-meta';
import type { TaskDefinition } from '../task';
import type { Logger } from '../utils/logger';
import type { WorkerContext } from './context';
import type { TaskEventInfo, WorkerEvents } from './events';
import { metas } from './meta';
import { Cancellation, runTask } from './trace';

/** Abort reason of a cold shutdown: the message goes back to its queue. */
export class WorkerShutdown extends Error {
  constructor() {
    super('worker shut down');
    this.name = 'WorkerShutdown';
  }
}

export class Job {
  readonly cancellation = new Cancellation();
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
  readonly logger: Logger;
  /** Whether per-task info lines are wanted (they cost a string per task). */
  readonly logsTasks: boolean;
  listenerCount(event: keyof WorkerEvents): number;
  isRevoked(id: string): boolean;
  durable<T>(what: string, fn: () => Promise<T>): Promise<T | undefined>;
  deadLetter(d: Delivery, reason: string): Promise<void>;
  reportError(err: unknown): void;
  /** The task function has ended; its concurrency slot is free while the outcome is written. */
  release(job: Job): void;
  emit<K extends keyof WorkerEvents>(event: K, ...args: WorkerEvents[K]): boolean;
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

async function onSuccess(host: JobHost, job: Job, value: unknown, store: boolean, runtime: number): Promise<void> {
  const { msg } = job;
  const next: TaskMessage[] = [];
  for (const sig of msg.callbacks ?? []) next.push(followUp(host, msg, sig, sig.immutable ? sig.args : [value, ...sig.args]));
  if (msg.chain?.length) {
    const sig = msg.chain[msg.chain.length - 1]!;
    const m = followUp(host, msg, sig, sig.immutable ? sig.args : [value, ...sig.args]);
    m.chain = msg.chain.slice(0, -1);
    next.push(m);
  }
  if (store) await storeMeta(host, metas.success(msg, value, next.map((m) => [[m.id, null], null])));
  for (const m of next) await send(host, m);
  await host.durable('ack', () => host.consumer.ack(job.delivery));
  if (host.logsTasks) host.logger.info(`Task ${msg.task}[${msg.id}] succeeded in ${(runtime / 1000).toFixed(3)}s`);
  if (host.listenerCount('completed')) host.emit('completed', { ...eventInfo(msg), result: value, runtime });
}

async function onFailure(host: JobHost, job: Job, error: unknown, store: boolean, runtime: number): Promise<void> {
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
  for (const sig of msg.errbacks ?? []) await send(host, followUp(host, msg, sig, [msg.id, ...sig.args]));
  await host.durable('ack', () => host.consumer.ack(job.delivery));
  const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  host.logger.warn(`Task ${msg.task}[${msg.id}] failed: ${why}`);
  host.emit('failed', { ...eventInfo(msg), error, runtime });
}

async function onRetry(host: JobHost, job: Job, countdown: number, exc: unknown, store: boolean): Promise<void> {
  const { msg } = job;
  if (store) await storeMeta(host, metas.retry(msg, exc));
  const again = host.app.producer.retryOf(msg, countdown);
  await send(host, again);
  await host.durable('ack', () => host.consumer.ack(job.delivery));
  if (host.logsTasks) host.logger.info(`Task ${msg.task}[${msg.id}] retry: Retry in ${countdown}ms`);
  host.emit('retried', { ...eventInfo(msg), countdown, error: exc });
}

/** Discards a revoked or expired task: REVOKED is stored and the message acked. */
export async function discard(host: JobHost, job: Job, reason: string): Promise<void> {
  await storeMeta(host, metas.revoked(job.msg, reason));
  await host.durable('ack', () => host.consumer.ack(job.delivery));
  host.logger.info(`Discarding ${reason} task ${job.msg.task}[${job.msg.id}]`);
  host.emit('revoked', { ...eventInfo(job.msg), reason });
}

export async function execute(host: JobHost, job: Job): Promise<void> {
  const { msg, def } = job;
  if (host.isRevoked(msg.id)) return discard(host, job, 'revoked');
  if (msg.expires !== null && msg.expires <= Date.now()) return discard(host, job, 'expired');
  const settings = host.app.settings;
  const store = !(msg.ignoreResult || (def.options.ignoreResult ?? settings.taskIgnoreResult));
  if (store && (def.options.trackStarted ?? settings.taskTrackStarted)) {
    // NOTE: best effort and not awaited: the same connection keeps it ahead of the final state.
    host.app.backend.store(metas.started(msg, host.hostname), settings.resultExpires).catch((e) => host.reportError(e));
  }
  if (host.listenerCount('started')) host.emit('started', eventInfo(msg));
  const t0 = performance.now();
  const outcome = await runTask({
    msg,
    def,
    settings,
    hostname: host.hostname,
    cancellation: job.cancellation,
    updateState: (state, meta) => host.app.backend.store(metas.custom(msg, state, meta), settings.resultExpires),
  });
  const runtime = performance.now() - t0;
  host.release(job);
  switch (outcome.kind) {
    case 'success':
      return onSuccess(host, job, outcome.value, store, runtime);
    case 'failure':
      return onFailure(host, job, outcome.error, store, runtime);
    case 'retry':
      return onRetry(host, job, outcome.countdown, outcome.exc, store);
    case 'reject':
      if (outcome.requeue) {
        await host.durable('give back', () => host.consumer.requeue([job.delivery]));
        return;
      }
      return host.deadLetter(job.delivery, `rejected by task ${msg.task}: ${outcome.reason}`);
    case 'aborted':
      if (outcome.reason instanceof WorkerShutdown) {
        await host.durable('give back', () => host.consumer.requeue([job.delivery]));
        return;
      }
      if (outcome.reason instanceof TimeLimitExceeded) return onFailure(host, job, outcome.reason, store, runtime);
      return discard(host, job, 'terminated');
  }
}
