// A worker's side of the amqp:// broker. Acks late with RabbitMQ's own acknowledgements: a message stays unacked
// on this worker's channel until it finished, and RabbitMQ gives it back if the connection dies (SIGKILL, a frozen
// process missing AMQP heartbeats, a lost network), marked redelivered. Prefetch is the worker's window
// (concurrency × prefetch multiplier), channel-wide. The worker also answers Celery's pidbox `ping`, which is how
// `workers()` (and `celery inspect ping`) see it.
import type { Channel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import { BrokerError, type BrokerConsumer, type ConsumerOptions, type Delivery, type WorkerInfo } from '@celeriac/core';
import type { AmqpBroker } from './broker';
import { fromAmqp } from './envelope';
import { rememberReplyTo } from './rpc';
import { Link, confirmPublish, describe } from './link';
import { DEAD_LETTER_QUEUE, PIDBOX_EXCHANGE, PIDBOX_EXCHANGE_OPTS, PIDBOX_QUEUE_OPTS, delayName, delayStep } from './topology';

/** A consumer that names no window (the port's own tests) takes what the broker pushes: 0 is no limit in AMQP. */
const DEFAULT_PREFETCH = 0;

interface Held {
  msg: ConsumeMessage;
  ch: ConfirmChannel;
  queue: string;
}

export class AmqpConsumer implements BrokerConsumer {
  readonly link: Link;
  #ch: ConfirmChannel | null = null;
  #opening: Promise<ConfirmChannel> | null = null;
  #control: Channel | null = null;
  readonly #buffer: Delivery[] = [];
  readonly #held = new Map<string, Held>();
  #waiter: ((woken: boolean) => void) | null = null;
  #wakePending = false;
  #stopped = false;
  #info: WorkerInfo | null = null;
  #delayDeclared = new Map<number, ConfirmChannel>();
  /** Deliveries that came back marked redelivered (given back by RabbitMQ after a lost connection or a requeue). */
  redelivered = 0;

  constructor(
    readonly broker: AmqpBroker,
    readonly options: ConsumerOptions,
  ) {
    // NOTE: AMQP heartbeats at half the worker heartbeat timeout: RabbitMQ drops a frozen worker's connection (and
    // gives its messages back) after two missed beats, about heartbeatTimeout, as the Redis broker's recovery does.
    const url = new URL(broker.rawUrl);
    if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(Math.max(1, Math.round(options.heartbeatTimeout / 2_000))));
    this.link = new Link(url.toString(), { timeout: broker.options.timeout, logger: broker.options.logger, name: `celeriac worker ${options.workerId}` });
    this.link.onLost(() => this.#lost());
  }

  async start(info: WorkerInfo): Promise<void> {
    this.#info = info;
    if (!this.broker.revocations.durable) {
      this.broker.options.logger.warn(
        'revocations are kept only in the memory of running workers (as Celery on RabbitMQ); set resultBackend to a redis:// URL to store them for workers started later',
      );
    }
    await this.#channel();
  }

  /** The connection was lost: RabbitMQ gives back everything this worker held or had prefetched. */
  #lost(): void {
    this.#ch = null;
    this.#control = null;
    this.#delayDeclared.clear();
    this.#buffer.length = 0;
    this.#held.clear();
    this.#waiter?.(false);
  }

  #channel(): Promise<ConfirmChannel> {
    if (this.#ch) return Promise.resolve(this.#ch);
    if (this.#stopped) return Promise.reject(new BrokerError(`worker ${this.options.workerId} stopped consuming`));
    this.#opening ??= this.#open().finally(() => (this.#opening = null));
    return this.#opening;
  }

  async #open(): Promise<ConfirmChannel> {
    const model = await this.link.connection();
    const ch = await model.createConfirmChannel();
    ch.on('error', () => undefined);
    ch.on('close', () => {
      if (this.#ch !== ch) return;
      // NOTE: a channel closed on its own (RabbitMQ's consumer_timeout, a deleted queue): its messages go back too.
      this.#ch = null;
      for (const [tag, h] of this.#held) if (h.ch === ch) this.#held.delete(tag);
      this.#buffer.length = 0;
      this.#waiter?.(false);
    });
    try {
      await ch.prefetch(this.options.prefetch ?? DEFAULT_PREFETCH, true);
      const gen = this.link.generation;
      for (const queue of this.options.queues) await this.broker.declareQueue(ch, queue, gen);
      for (const queue of this.options.queues) {
        await ch.consume(queue, (msg) => this.#onMessage(ch, queue, msg), { noAck: false });
      }
      await this.#listenControl(model);
    } catch (err) {
      await ch.close().catch(() => undefined);
      throw new BrokerError(`cannot consume from ${this.options.queues.join(', ')} on ${this.broker.url}: ${describe(err)}`, { cause: err });
    }
    this.#ch = ch;
    return ch;
  }

  #onMessage(ch: ConfirmChannel, queue: string, msg: ConsumeMessage | null): void {
    if (!msg) {
      // NOTE: the server cancelled the consumer (its queue was deleted): start over on a new channel.
      void ch.close().catch(() => undefined);
      return;
    }
    const tag = `${this.link.generation}.${msg.fields.deliveryTag}`;
    if (msg.fields.redelivered) this.redelivered++;
    const id = msg.properties.headers?.id;
    if (typeof id === 'string' && msg.properties.replyTo) rememberReplyTo(id, msg.properties.replyTo);
    this.#held.set(tag, { msg, ch, queue });
    this.#buffer.push({ raw: fromAmqp(msg, queue, tag), queue, key: queue, tag });
    this.#waiter?.(false);
  }

  /** Celery's pidbox node: answers `ping` (with this worker's info, for workers()). */
  async #listenControl(model: Awaited<ReturnType<Link['connection']>>): Promise<void> {
    const c = await model.createChannel();
    c.on('error', () => undefined);
    const queue = `${this.options.workerId}.celery.pidbox`;
    await c.assertExchange(PIDBOX_EXCHANGE, 'fanout', PIDBOX_EXCHANGE_OPTS);
    await c.assertQueue(queue, PIDBOX_QUEUE_OPTS);
    await c.bindQueue(queue, PIDBOX_EXCHANGE, '');
    await c.consume(queue, (msg) => {
      if (!msg || !this.#info) return;
      try {
        const body = JSON.parse(msg.content.toString('utf8')) as {
          method?: string;
          destination?: string[] | null;
          reply_to?: { exchange?: string; routing_key?: string };
          ticket?: string;
        };
        if (body.method !== 'ping' || !body.reply_to?.exchange || !body.reply_to.routing_key) return;
        if (body.destination && !body.destination.includes(this.#info.hostname)) return;
        const reply = { [this.#info.hostname]: { ok: 'pong', celeriac: { ...this.#info, heartbeatTimeout: this.options.heartbeatTimeout } } };
        const exchange = body.reply_to.exchange;
        const key = body.reply_to.routing_key;
        void c
          .assertExchange(exchange, 'direct', PIDBOX_EXCHANGE_OPTS)
          .then(() =>
            c.publish(exchange, key, Buffer.from(JSON.stringify(reply)), {
              contentType: 'application/json',
              contentEncoding: 'utf-8',
              deliveryMode: 1,
              headers: { ticket: body.ticket ?? null, clock: 1 },
            }),
          )
          .catch(() => undefined);
      } catch {
        /* not a command */
      }
    }, { noAck: true });
    this.#control = c;
  }

  async fetch(max: number): Promise<Delivery[]> {
    for (;;) {
      if (this.#stopped) return [];
      await this.#channel();
      if (this.#buffer.length) return this.#buffer.splice(0, max);
      if (this.#wakePending) {
        this.#wakePending = false;
        return [];
      }
      const woken = await new Promise<boolean>((resolve) => {
        this.#waiter = (w) => {
          this.#waiter = null;
          resolve(w);
        };
      });
      if (woken) return this.#buffer.splice(0, max);
    }
  }

  wake(): void {
    if (this.#waiter) this.#waiter(true);
    else this.#wakePending = true;
  }

  /** The message if this worker still holds it on a live channel (not acked, given back or lost with a connection). */
  #take(d: Delivery): Held | null {
    const h = this.#held.get(d.tag);
    if (!h) return null;
    this.#held.delete(d.tag);
    return h.ch === this.#ch ? h : null;
  }

  async ack(d: Delivery): Promise<void> {
    const h = this.#take(d);
    h?.ch.ack(h.msg);
  }

  async requeue(ds: Delivery[]): Promise<void> {
    const back: Held[] = [];
    for (const d of ds) {
      const h = this.#take(d);
      if (h) back.push(h);
    }
    if (!back.length) return;
    // NOTE: what was prefetched but not handed out goes back too: RabbitMQ returns messages to their places in the
    // queue, so the ones given back come first again, before the ones published after them.
    for (const d of this.#buffer.splice(0)) {
      const h = this.#take(d);
      if (h) back.push(h);
    }
    for (const h of back) h.ch.nack(h.msg, false, true);
  }

  async deadLetter(d: Delivery, reason: string): Promise<void> {
    const h = this.#held.get(d.tag);
    if (!h || h.ch !== this.#ch) return;
    const entry = { reason, queue: d.queue, raw: d.raw, at: Date.now(), worker: this.options.workerId };
    await h.ch.assertQueue(DEAD_LETTER_QUEUE, { durable: true, autoDelete: false });
    await confirmPublish(h.ch, '', DEAD_LETTER_QUEUE, Buffer.from(JSON.stringify(entry)), { contentType: 'application/json', contentEncoding: 'utf-8', deliveryMode: 2 });
    // NOTE: acked only once the letter is confirmed: a crash in between leaves the message to run again, not lost.
    if (this.#take(d)) h.ch.ack(h.msg);
  }

  async defer(d: Delivery, eta: number): Promise<void> {
    const h = this.#held.get(d.tag);
    if (!h || h.ch !== this.#ch) return;
    const step = delayStep(eta - Date.now());
    if (this.#delayDeclared.get(step) !== h.ch) {
      await this.broker.declareDelay(h.ch, step);
      this.#delayDeclared.set(step, h.ch);
    }
    const { expiration: _dropped, ...props } = h.msg.properties;
    void _dropped;
    const headers = { ...(props.headers ?? {}) };
    await confirmPublish(h.ch, delayName(step), h.queue, h.msg.content, {
      contentType: props.contentType,
      contentEncoding: props.contentEncoding,
      headers,
      correlationId: props.correlationId,
      replyTo: props.replyTo,
      priority: props.priority,
      deliveryMode: 2,
    });
    if (this.#take(d)) h.ch.ack(h.msg);
  }

  async heartbeat(info: WorkerInfo): Promise<{ recovered: number; promoted: number; nextDue: number | null }> {
    this.#info = info;
    // NOTE: RabbitMQ recovers dead workers' messages and moves deferred ones by itself; the heartbeat checks the link.
    if (!this.#stopped) await this.#channel();
    return { recovered: 0, promoted: 0, nextDue: null };
  }

  async promoteDue(): Promise<{ promoted: number; nextDue: number | null }> {
    return { promoted: 0, nextDue: null };
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.wake();
    const control = this.#control;
    this.#control = null;
    await control?.close().catch(() => undefined);
    // NOTE: closing the connection gives back whatever is still held or prefetched; other workers get it at once.
    await this.link.close();
    this.#ch = null;
    this.#held.clear();
    this.#buffer.length = 0;
  }
}
