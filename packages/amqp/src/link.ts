// One AMQP connection, opened on first use and again after a loss: every wait is bounded by the connect timeout,
// and errors name the URL without its password.
import * as amqp from 'amqplib';
import type { ConfirmChannel, Options } from 'amqplib';
import { BrokerError, redactUrl, type Logger } from '@celeriac/core';

export interface LinkOptions {
  /** How long one connection attempt may take (brokerConnectionTimeout). */
  timeout: number;
  logger: Logger;
  /** Name shown in RabbitMQ's connection list. */
  name: string;
}

export class Link {
  readonly url: string;
  #model: amqp.ChannelModel | null = null;
  #opening: Promise<amqp.ChannelModel> | null = null;
  #closed = false;
  /** Bumped on each new connection: channels and delivery tags of an older one are void. */
  generation = 0;
  readonly #lost = new Set<(err: Error | undefined) => void>();

  constructor(
    readonly rawUrl: string,
    readonly options: LinkOptions,
  ) {
    this.url = redactUrl(rawUrl);
  }

  get closed(): boolean {
    return this.#closed;
  }

  get up(): boolean {
    return this.#model !== null;
  }

  /** Called once per lost connection (not after close()). */
  onLost(fn: (err: Error | undefined) => void): () => void {
    this.#lost.add(fn);
    return () => this.#lost.delete(fn);
  }

  /** The open connection, or a new one (one attempt, bounded by the timeout). */
  connection(): Promise<amqp.ChannelModel> {
    if (this.#closed) return Promise.reject(new BrokerError(`the AMQP connection to ${this.url} is closed`));
    if (this.#model) return Promise.resolve(this.#model);
    this.#opening ??= this.#open().finally(() => (this.#opening = null));
    return this.#opening;
  }

  async #open(): Promise<amqp.ChannelModel> {
    let model: amqp.ChannelModel;
    try {
      model = await amqp.connect(this.rawUrl, {
        timeout: this.options.timeout,
        // NOTE: no Nagle delay: a lone publish and its confirm are small frames that must not wait for company.
        noDelay: true,
        clientProperties: { connection_name: this.options.name, product: 'celeriac' },
      });
    } catch (err) {
      throw new BrokerError(`cannot reach the AMQP broker at ${this.url}: ${describe(err)}`, { cause: err });
    }
    if (this.#closed) {
      await model.close().catch(() => undefined);
      throw new BrokerError(`the AMQP connection to ${this.url} is closed`);
    }
    this.generation++;
    this.#model = model;
    // NOTE: an 'error' is always followed by 'close'; without a listener it would crash the process.
    model.on('error', () => undefined);
    model.on('blocked', (reason: string) => this.options.logger.warn(`RabbitMQ at ${this.url} blocks publishing: ${reason}`));
    model.on('unblocked', () => this.options.logger.info(`RabbitMQ at ${this.url} takes messages again`));
    model.on('close', (err?: Error) => {
      if (this.#model !== model) return;
      this.#model = null;
      if (this.#closed) return;
      for (const fn of [...this.#lost]) fn(err);
    });
    return model;
  }

  /** @internal tests: drops the TCP connection as a crash would (no AMQP close handshake). */
  sever(): void {
    const conn = this.#model?.connection as unknown as { stream?: { destroy(err?: Error): void } } | undefined;
    conn?.stream?.destroy(new Error('connection severed'));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const model = this.#model ?? (await this.#opening?.catch(() => null)) ?? null;
    this.#model = null;
    await model?.close().catch(() => undefined);
  }
}

export function describe(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/** An AMQP error that closed a channel with this reply code (404 NOT_FOUND, 406 PRECONDITION_FAILED…). */
export function replyCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * How long a publish waits for RabbitMQ's confirm. A connection RabbitMQ blocked (memory or disk alarm) takes
 * messages and confirms nothing until the alarm clears: the send fails then instead of waiting forever.
 */
export const CONFIRM_TIMEOUT_MS = 30_000;

/** Publishes and resolves once RabbitMQ confirmed it (rejects on a nack, a lost channel, or no confirm in time). */
export function confirmPublish(ch: ConfirmChannel, exchange: string, routingKey: string, content: Buffer, options: Options.Publish, waitMs = CONFIRM_TIMEOUT_MS): Promise<void> {
  const to = exchange ? `exchange ${exchange}` : `queue ${routingKey}`;
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new BrokerError(`RabbitMQ did not confirm a message to ${to} within ${waitMs} ms (a memory or disk alarm blocks publishers)`)),
      waitMs,
    );
    ch.publish(exchange, routingKey, content, options, (err) => {
      clearTimeout(timer);
      if (err) reject(err instanceof Error ? err : new BrokerError(`RabbitMQ did not take a message to ${to}`));
      else resolve();
    });
  });
}
