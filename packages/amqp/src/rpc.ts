// Celery's rpc:// result backend: results travel as messages to the caller's own reply queue (its "oid"), named
// in each task message's reply_to; only the process that sent a task sees its states (as in Celery).
// The broker and the backend of one app share the oid through the app's settings object; a worker's consumer
// remembers each task's reply_to, so the backend knows where a result goes without core passing it along.
import { randomUUID } from 'node:crypto';
import type { ConfirmChannel } from 'amqplib';
import { ConfigurationError, READY_STATES, redactUrl, type Logger, type ResultBackend, type ResultMeta, type Settings } from '@celeriac/core';
import { Link, confirmPublish, sleep } from './link';

const oids = new WeakMap<object, string>();

/** The reply queue of the app these settings belong to (one per app, as Celery's app.oid). */
export function oidFor(settings: object): string {
  let oid = oids.get(settings);
  if (!oid) {
    oid = randomUUID();
    oids.set(settings, oid);
  }
  return oid;
}

/** The reply queue as Celery's rpc backend declares it: not durable, auto-delete, expiring after result_expires. */
export function replyQueueArgs(expiresMs: number) {
  return { durable: false, autoDelete: true, arguments: { 'x-expires': expiresMs } };
}

/** task id → reply_to, for tasks this process's workers received (dropped once a ready state went out). */
const replyTos = new Map<string, string>();
const REPLY_TOS_MAX = 100_000;

export function rememberReplyTo(taskId: string, replyTo: string): void {
  replyTos.set(taskId, replyTo);
  if (replyTos.size > REPLY_TOS_MAX) replyTos.delete(replyTos.keys().next().value!);
}

export class RpcBackend implements ResultBackend {
  readonly url: string;
  readonly oid: string;
  readonly link: Link;
  /** The last state of each task this process heard of (its own sends' results, and states it stored itself). */
  readonly #cache = new Map<string, ResultMeta>();
  readonly #listeners = new Map<string, Set<(meta: ResultMeta) => void>>();
  #pub: Promise<ConfirmChannel> | null = null;
  #consuming: Promise<void> | null = null;
  #closed = false;

  constructor(
    url: string,
    readonly settings: Settings,
    readonly logger: Logger,
  ) {
    this.url = redactUrl(url);
    if (!/^amqps?:/i.test(settings.brokerUrl)) {
      throw new ConfigurationError(`\`resultBackend\` rpc:// sends results over the broker: it needs an amqp:// broker, not ${redactUrl(settings.brokerUrl)}`);
    }
    this.oid = oidFor(settings);
    this.link = new Link(settings.brokerUrl, { timeout: settings.brokerConnectionTimeout, logger, name: `celeriac rpc ${this.oid}` });
    this.link.onLost(() => {
      this.#pub = null;
      if (this.#consuming) {
        this.#consuming = null;
        void this.#resume();
      }
    });
  }

  async #resume(): Promise<void> {
    let wait = 100;
    while (!this.#closed && !this.#consuming) {
      try {
        await this.#consume();
        return;
      } catch {
        await sleep(wait);
        wait = Math.min(2_000, wait * 2);
      }
    }
  }

  #channel(): Promise<ConfirmChannel> {
    this.#pub ??= (async () => {
      const model = await this.link.connection();
      const ch = await model.createConfirmChannel();
      ch.on('error', () => undefined);
      ch.on('close', () => (this.#pub = null));
      return ch;
    })().catch((err) => {
      this.#pub = null;
      throw err;
    });
    return this.#pub;
  }

  /** Consumes this app's reply queue (once): every result sent to it lands in the cache and reaches listeners. */
  #consume(): Promise<void> {
    this.#consuming ??= (async () => {
      const model = await this.link.connection();
      const ch = await model.createChannel();
      ch.on('error', () => undefined);
      await ch.assertQueue(this.oid, replyQueueArgs(this.settings.resultExpires));
      await ch.consume(this.oid, (msg) => {
        if (!msg) return;
        try {
          const body = JSON.parse(msg.content.toString('utf8')) as Partial<ResultMeta>;
          const taskId = body.task_id ?? msg.properties.correlationId;
          if (typeof taskId !== 'string' || typeof body.status !== 'string') return;
          this.#deliver({ status: body.status, result: body.result ?? null, traceback: body.traceback ?? null, children: body.children ?? [], date_done: body.date_done ?? null, task_id: taskId });
        } catch {
          /* not a result */
        }
      }, { noAck: true });
    })().catch((err) => {
      this.#consuming = null;
      throw err;
    });
    return this.#consuming;
  }

  #deliver(meta: ResultMeta): void {
    this.#cache.set(meta.task_id, meta);
    for (const l of [...(this.#listeners.get(meta.task_id) ?? [])]) {
      try {
        l(meta);
      } catch (err) {
        // NOTE: as core's backends: the listener's own bug, reported with its stack; the others still hear the state.
        const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
        process.emitWarning(`A result listener of task ${meta.task_id} threw: ${detail}`, { code: 'CELERIAC_LISTENER_ERROR' });
      }
    }
  }

  async store(meta: ResultMeta, _expiresMs: number): Promise<void> {
    void _expiresMs;
    const replyTo = replyTos.get(meta.task_id);
    if (replyTo === this.oid || !replyTo) {
      // NOTE: our own task (or one run eagerly here): the caller is this process.
      this.#deliver(meta);
    }
    if (replyTo && replyTo !== this.oid) {
      const body = { task_id: meta.task_id, status: meta.status, result: meta.result, traceback: meta.traceback, children: meta.children };
      const ch = await this.#channel();
      await confirmPublish(ch, '', replyTo, Buffer.from(JSON.stringify(body)), {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        correlationId: meta.task_id,
        deliveryMode: 1,
      });
    }
    if (READY_STATES.has(meta.status)) replyTos.delete(meta.task_id);
  }

  async get(taskId: string): Promise<ResultMeta | null> {
    await this.#consume();
    return this.#cache.get(taskId) ?? null;
  }

  async forget(taskId: string): Promise<void> {
    this.#cache.delete(taskId);
  }

  async subscribe(taskId: string, listener: (meta: ResultMeta) => void): Promise<() => void> {
    let set = this.#listeners.get(taskId);
    if (!set) this.#listeners.set(taskId, (set = new Set()));
    set.add(listener);
    await this.#consume();
    return () => {
      set.delete(listener);
      if (!set.size) this.#listeners.delete(taskId);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.link.close();
  }
}
