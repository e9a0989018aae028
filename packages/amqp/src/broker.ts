// The amqp:// broker: Celery's topology and message format on RabbitMQ (see topology.ts, envelope.ts), with
// publisher confirms, so a resolved publish() is in the broker.
import { randomUUID } from 'node:crypto';
import type { Channel, ConfirmChannel } from 'amqplib';
import {
  BrokerError,
  ConfigurationError,
  type Broker,
  type BrokerConsumer,
  type ConsumerOptions,
  type ControlCommand,
  type DeadLetter,
  type Logger,
  type RevokedEntry,
  type TaskQueue,
  type WorkerInfo,
} from '@celeriac/core';
import { toAmqp } from './envelope';
import { Link, confirmPublish, describe, replyCode, sleep } from './link';
import { revocationStore, type RevocationStore } from './revocations';
import { AmqpConsumer } from './consumer';
import { replyQueueArgs } from './rpc';
import {
  DEAD_LETTER_QUEUE,
  DELAY_MAX_STEP,
  DELAY_MIN_STEP,
  PIDBOX_EXCHANGE,
  PIDBOX_EXCHANGE_OPTS,
  PIDBOX_QUEUE_OPTS,
  PIDBOX_REPLY_EXCHANGE,
  TASK_EXCHANGE,
  delayName,
  delayQueueArgs,
  taskQueueArgs,
} from './topology';

export interface AmqpBrokerOptions {
  /** brokerConnectionTimeout: one connection attempt, and how long a publish keeps trying while RabbitMQ is away. */
  timeout: number;
  /** Celery's task_queue_max_priority: `x-max-priority` on every task queue declared; null: none. */
  maxPriority: number | null;
  /** Where revocations are stored (a redis:// result backend), else memory only. */
  resultBackend: string | null;
  /** Celery's task_queues: per queue, its exchange, exchange type and routing key. @default {} */
  queues?: Record<string, TaskQueue>;
  logger: Logger;
  /** How long workers() listens for the workers' replies. @default 1 000 */
  workersWindow?: number;
  /** How long a publish waits for RabbitMQ's confirm (a blocked connection confirms nothing). @default 30 000 */
  confirmTimeout?: number;
  /** With the rpc:// result backend: this app's reply queue, put in reply_to and declared before the first send. */
  rpc?: { oid: string; expiresMs: number };
}

/** The header that marks a revoke celeriac stored before broadcasting it (Celery ignores unknown headers). */
const STORED_HEADER = 'celeriac_stored';

export class AmqpBroker implements Broker {
  readonly url: string;
  readonly link: Link;
  readonly revocations: RevocationStore;
  #pub: ConfirmChannel | null = null;
  #pubOpening: Promise<ConfirmChannel> | null = null;
  /** Queue name → the connection generation it was declared on. */
  readonly #declared = new Map<string, number>();
  readonly #known = new Set<string>();
  #closed = false;
  readonly #subscriptions = new Set<() => Promise<void>>();

  constructor(
    readonly rawUrl: string,
    readonly options: AmqpBrokerOptions,
  ) {
    const maxPriority = options.maxPriority;
    if (maxPriority !== null && (!Number.isInteger(maxPriority) || maxPriority < 1 || maxPriority > 255)) {
      throw new ConfigurationError(`Expected \`taskQueueMaxPriority\` to be an integer from 1 to 255 on RabbitMQ, got \`${maxPriority}\``);
    }
    this.link = new Link(rawUrl, { timeout: options.timeout, logger: options.logger, name: `celeriac producer ${process.pid}` });
    this.url = this.link.url;
    this.revocations = revocationStore(options.resultBackend, options.timeout);
  }

  get maxPriority(): number | null {
    return this.options.maxPriority;
  }

  /** The publishing channel (confirm mode) of the current connection. */
  async #channel(): Promise<ConfirmChannel> {
    if (this.#pub) return this.#pub;
    this.#pubOpening ??= (async () => {
      const model = await this.link.connection();
      const ch = await model.createConfirmChannel();
      ch.on('error', () => undefined);
      ch.on('close', () => {
        if (this.#pub === ch) this.#pub = null;
      });
      this.#pub = ch;
      return ch;
    })().finally(() => (this.#pubOpening = null));
    return this.#pubOpening;
  }

  /**
   * Runs `fn` on the publishing channel, trying again while the broker is away, for at most the connect timeout.
   * A channel error (406 on a declaration, 404) is not retried: it names what RabbitMQ refused.
   */
  async #withChannel<T>(what: string, fn: (ch: ConfirmChannel, generation: number) => Promise<T>): Promise<T> {
    if (this.#closed) throw new BrokerError(`the AMQP broker ${this.url} is closed`);
    const deadline = Date.now() + this.options.timeout;
    let wait = 50;
    for (;;) {
      let ch: ConfirmChannel | null = null;
      try {
        ch = await this.#channel();
        return await fn(ch, this.link.generation);
      } catch (err) {
        const code = replyCode(err);
        if (code !== undefined && code !== 320 && code !== 541) {
          // NOTE: a refusal (406 a queue declared otherwise, 403 no permission) fails the same way every time: not a
          // BrokerError, which a worker's durable writes would retry forever, but an error naming what to change.
          throw new ConfigurationError(`${what} on ${this.url}: RabbitMQ refused it: ${describe(err)}`);
        }
        if (this.#closed) throw new BrokerError(`the AMQP broker ${this.url} is closed`, { cause: err });
        if (Date.now() + wait > deadline) {
          throw err instanceof BrokerError ? err : new BrokerError(`${what} on ${this.url} failed: ${describe(err)}`, { cause: err });
        }
        await sleep(wait);
        wait = Math.min(1_000, wait * 2);
      }
    }
  }

  /** A queue's exchange, its type and its routing key: from taskQueues, else Celery's default for a queue name. */
  topology(queue: string): { exchange: string; type: 'direct' | 'topic' | 'fanout'; routingKey: string } {
    const q = this.options.queues?.[queue] ?? {};
    return { exchange: q.exchange ?? queue, type: q.exchangeType ?? 'direct', routingKey: q.routingKey ?? queue };
  }

  /** Declares a task queue as kombu does before a publish: its exchange, the queue, the binding. */
  async declareQueue(ch: Channel, queue: string, generation: number): Promise<void> {
    if (this.#declared.get(queue) === generation) return;
    const t = this.topology(queue);
    if (t.exchange) await ch.assertExchange(t.exchange, t.type, TASK_EXCHANGE);
    await ch.assertQueue(queue, taskQueueArgs(this.options.maxPriority));
    if (t.exchange) await ch.bindQueue(queue, t.exchange, t.routingKey);
    this.#declared.set(queue, generation);
    this.#known.add(queue);
  }

  publish(queue: string, priority: number, raw: string): Promise<void> {
    if (this.#closed) return Promise.reject(new BrokerError(`the AMQP broker ${this.url} is closed`));
    const { content, options } = toAmqp(raw, priority);
    const rpc = this.options.rpc;
    if (rpc && !options.replyTo) options.replyTo = rpc.oid;
    return this.#withChannel(`publish to ${queue}`, async (ch, gen) => {
      await this.declareQueue(ch, queue, gen);
      if (rpc && this.#declared.get(`\0rpc`) !== gen) {
        // NOTE: as Celery's on_task_call: the reply queue exists before the task can finish, so no result is dropped.
        await ch.assertQueue(rpc.oid, replyQueueArgs(rpc.expiresMs));
        this.#declared.set(`\0rpc`, gen);
      }
      // NOTE: as Celery's send_task: a queue on a direct exchange is published to through the default exchange
      // with the queue's name as routing key; on a topic or fanout exchange, to that exchange with its routing key.
      const t = this.topology(queue);
      const wait = this.options.confirmTimeout;
      if (t.type === 'direct') await confirmPublish(ch, '', queue, content, options, wait);
      else await confirmPublish(ch, t.exchange, t.routingKey, content, options, wait);
    });
  }

  consumer(options: ConsumerOptions): BrokerConsumer {
    return new AmqpConsumer(this, options);
  }

  async revoke(taskIds: string[], expiresMs: number, terminate: boolean): Promise<void> {
    await this.revocations.add(taskIds, expiresMs);
    await this.broadcast(
      'revoke',
      { task_id: taskIds.length === 1 ? taskIds[0] : taskIds, terminate, signal: terminate ? 'SIGTERM' : null },
      { [STORED_HEADER]: this.revocations.durable },
    );
  }

  /** Publishes a Celery control command on the pidbox fanout exchange (heard by Python workers too). */
  async broadcast(method: string, args: Record<string, unknown>, headers: Record<string, unknown> = {}, reply?: { exchange: string; routing_key: string; ticket: string }): Promise<void> {
    const body: Record<string, unknown> = { method, arguments: args, destination: null, pattern: null, matcher: null };
    if (reply) Object.assign(body, { ticket: reply.ticket, reply_to: { exchange: reply.exchange, routing_key: reply.routing_key } });
    await this.#withChannel(`broadcast ${method}`, async (ch) => {
      await ch.assertExchange(PIDBOX_EXCHANGE, 'fanout', PIDBOX_EXCHANGE_OPTS);
      await confirmPublish(ch, PIDBOX_EXCHANGE, '', Buffer.from(JSON.stringify(body)), {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 1,
        headers: { clock: 1, expires: Date.now() / 1000 + 10, ...headers },
      });
    });
  }

  async revoked(): Promise<RevokedEntry[]> {
    return this.revocations.list();
  }

  async storeRevoked(taskIds: string[], expiresMs: number): Promise<void> {
    if (taskIds.length) await this.revocations.add(taskIds, expiresMs);
  }

  async onControl(listener: (cmd: ControlCommand) => void): Promise<() => Promise<void>> {
    const queue = `celeriac.${randomUUID()}.celery.pidbox`;
    let ch: Channel | null = null;
    let active = true;
    const subscribe = async (): Promise<void> => {
      const model = await this.link.connection();
      const c = await model.createChannel();
      c.on('error', () => undefined);
      await c.assertExchange(PIDBOX_EXCHANGE, 'fanout', PIDBOX_EXCHANGE_OPTS);
      await c.assertQueue(queue, PIDBOX_QUEUE_OPTS);
      await c.bindQueue(queue, PIDBOX_EXCHANGE, '');
      await c.consume(queue, (msg) => {
        if (!msg) return;
        const cmd = parseControl(msg.content, msg.properties.headers ?? {});
        if (cmd) listener(cmd);
      }, { noAck: true });
      ch = c;
    };
    await subscribe();
    // NOTE: after a lost connection, listen again (with a bounded backoff) for as long as the listener is wanted.
    const stopWatching = this.link.onLost(() => {
      ch = null;
      void (async () => {
        let wait = 100;
        while (active && !this.#closed) {
          try {
            await subscribe();
            return;
          } catch {
            await sleep(wait);
            wait = Math.min(2_000, wait * 2);
          }
        }
      })();
    });
    const unsubscribe = async () => {
      if (!active) return;
      active = false;
      stopWatching();
      this.#subscriptions.delete(unsubscribe);
      const c = ch as Channel | null;
      ch = null;
      if (c) {
        await c.deleteQueue(queue).catch(() => undefined);
        await c.close().catch(() => undefined);
      }
    };
    this.#subscriptions.add(unsubscribe);
    return unsubscribe;
  }

  /** Runs `fn` on a channel of its own, closed after: a 404 (no such queue) there harms nothing else. */
  async #scratch<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    const model = await this.link.connection();
    const ch = await model.createChannel();
    ch.on('error', () => undefined);
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  /** Messages ready in a queue; 0 when it does not exist. */
  async #count(queue: string): Promise<number> {
    try {
      return await this.#scratch(async (ch) => (await ch.checkQueue(queue)).messageCount);
    } catch (err) {
      if (replyCode(err) === 404) return 0;
      throw new BrokerError(`count ${queue} on ${this.url}: ${describe(err)}`, { cause: err });
    }
  }

  async purge(queue: string): Promise<number> {
    try {
      return await this.#scratch(async (ch) => {
        await ch.checkQueue(queue);
        return (await ch.purgeQueue(queue)).messageCount;
      });
    } catch (err) {
      if (replyCode(err) === 404) return 0;
      throw new BrokerError(`purge ${queue} on ${this.url}: ${describe(err)}`, { cause: err });
    }
  }

  queueLength(queue: string): Promise<number> {
    return this.#count(queue);
  }

  /** RabbitMQ lists no queues over AMQP: the candidates are the queues this process used and the live workers'. */
  async queueNames(): Promise<string[]> {
    const live = (await this.workers()).flatMap((w) => w.queues);
    const candidates = [...new Set([...this.#known, ...live])].sort();
    const counts = await Promise.all(candidates.map((q) => this.#count(q)));
    return candidates.filter((_, i) => counts[i]! > 0);
  }

  /** Declares the delay step's exchange and queue (idempotent). */
  async declareDelay(ch: Channel, step: number): Promise<void> {
    const name = delayName(step);
    await ch.assertExchange(name, 'fanout', { durable: true, autoDelete: false });
    await ch.assertQueue(name, delayQueueArgs(step));
    await ch.bindQueue(name, name, '');
  }

  async delayedCount(): Promise<number> {
    const steps = Array.from({ length: DELAY_MAX_STEP - DELAY_MIN_STEP + 1 }, (_, i) => DELAY_MIN_STEP + i);
    const counts = await Promise.all(steps.map((s) => this.#count(delayName(s))));
    return counts.reduce((a, b) => a + b, 0);
  }

  async deadLetterCount(): Promise<number> {
    return this.#count(DEAD_LETTER_QUEUE);
  }

  /**
   * The newest `limit` dead letters. A queue can only be read from its head: every letter is taken and all are
   * given back when the channel closes (O(letters); a dead-letter queue is meant to stay small).
   */
  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    try {
      return await this.#scratch(async (ch) => {
        const { messageCount } = await ch.checkQueue(DEAD_LETTER_QUEUE);
        const all: DeadLetter[] = [];
        for (let i = 0; i < messageCount; i++) {
          const m = await ch.get(DEAD_LETTER_QUEUE, { noAck: false });
          if (!m) break;
          try {
            all.push(JSON.parse(m.content.toString('utf8')) as DeadLetter);
          } catch {
            all.push({ reason: 'unreadable dead letter', queue: '', raw: m.content.toString('utf8'), at: 0, worker: '' });
          }
        }
        // NOTE: closing the channel gives every letter back, in its order.
        return all.reverse().slice(0, limit);
      });
    } catch (err) {
      if (replyCode(err) === 404) return [];
      throw new BrokerError(`read dead letters on ${this.url}: ${describe(err)}`, { cause: err });
    }
  }

  /**
   * Live workers: asks every worker over the pidbox (Celery's `ping`, with a reply queue as `celery inspect ping`
   * does) and lists the celeriac workers that answer within the window.
   */
  async workers(): Promise<WorkerInfo[]> {
    const oid = randomUUID();
    const ticket = randomUUID();
    const found = new Map<string, WorkerInfo>();
    await this.#scratch(async (ch) => {
      const queue = `${oid}.${PIDBOX_REPLY_EXCHANGE}`;
      await ch.assertExchange(PIDBOX_REPLY_EXCHANGE, 'direct', PIDBOX_EXCHANGE_OPTS);
      await ch.assertQueue(queue, PIDBOX_QUEUE_OPTS);
      await ch.bindQueue(queue, PIDBOX_REPLY_EXCHANGE, oid);
      await ch.consume(queue, (msg) => {
        if (!msg || msg.properties.headers?.ticket !== ticket) return;
        try {
          const reply = JSON.parse(msg.content.toString('utf8')) as Record<string, { celeriac?: WorkerInfo }>;
          for (const v of Object.values(reply)) if (v?.celeriac?.id) found.set(v.celeriac.id, { ...v.celeriac, lastSeen: Date.now() });
        } catch {
          /* a reply we cannot read is no worker of ours */
        }
      }, { noAck: true });
      await this.broadcast('ping', {}, {}, { exchange: PIDBOX_REPLY_EXCHANGE, routing_key: oid, ticket });
      await sleep(this.options.workersWindow ?? 1_000);
      await ch.deleteQueue(queue).catch(() => undefined);
    });
    return [...found.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const unsub of [...this.#subscriptions]) await unsub();
    await this.link.close();
    await this.revocations.close();
  }
}

function parseControl(content: Buffer, headers: Record<string, unknown>): ControlCommand | null {
  try {
    const body = JSON.parse(content.toString('utf8')) as { method?: unknown; arguments?: unknown };
    if (typeof body.method !== 'string') return null;
    const cmd: ControlCommand = { method: body.method, arguments: (body.arguments as Record<string, unknown>) ?? {} };
    if (headers[STORED_HEADER] === true) cmd.stored = true;
    return cmd;
  } catch {
    return null;
  }
}
