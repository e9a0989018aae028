// kombu's Redis envelope (what core's producer encodes and its worker decodes) ⇄ an AMQP message: on RabbitMQ the
// envelope's fields are the message's own properties and headers, and its body the JSON bytes, as Celery sends them.
import type { ConsumeMessage, Options } from 'amqplib';

interface Envelope {
  body: string;
  'content-encoding'?: string;
  'content-type'?: string;
  headers?: Record<string, unknown>;
  properties?: {
    correlation_id?: string;
    reply_to?: string;
    delivery_mode?: number;
    priority?: number;
    body_encoding?: string;
  };
}

export interface Outgoing {
  content: Buffer;
  options: Options.Publish;
}

/** The AMQP message for an envelope; `priority` is the one given to publish(). */
export function toAmqp(raw: string, priority: number): Outgoing {
  const env = JSON.parse(raw) as Envelope;
  if (typeof env.body !== 'string') throw new TypeError('not a kombu envelope: no string body');
  const p = env.properties ?? {};
  const content = p.body_encoding === 'base64' ? Buffer.from(env.body, 'base64') : Buffer.from(env.body, 'utf8');
  const options: Options.Publish = {
    contentType: env['content-type'] ?? 'application/json',
    contentEncoding: env['content-encoding'] ?? 'utf-8',
    headers: env.headers ?? {},
    deliveryMode: 2,
    priority: Math.max(0, Math.min(255, Math.trunc(priority))),
  };
  if (p.correlation_id) options.correlationId = p.correlation_id;
  if (p.reply_to) options.replyTo = p.reply_to;
  // NOTE: no AMQP `expiration`: RabbitMQ would drop an expired task silently and its result would stay PENDING
  // forever. The `expires` header stays, and a worker (celeriac's or Celery's) stores REVOKED (expired) for it.
  return { content, options };
}

/** The envelope core's worker decodes, for a message consumed from `queue`. */
export function fromAmqp(msg: ConsumeMessage, queue: string, tag: string): string {
  const props = msg.properties;
  const headers: Record<string, unknown> = { ...(props.headers ?? {}) };
  if (msg.fields.redelivered) headers.redelivered = true;
  const properties: Record<string, unknown> = {
    correlation_id: props.correlationId ?? null,
    reply_to: props.replyTo ?? null,
    delivery_mode: props.deliveryMode ?? 2,
    delivery_info: { exchange: msg.fields.exchange, routing_key: msg.fields.routingKey ?? queue, redelivered: msg.fields.redelivered },
    priority: props.priority ?? 0,
    body_encoding: 'base64',
    delivery_tag: tag,
  };
  if (props.expiration !== undefined) properties.expiration = props.expiration;
  return JSON.stringify({
    body: msg.content.toString('base64'),
    'content-encoding': props.contentEncoding ?? 'utf-8',
    'content-type': props.contentType ?? 'application/json',
    headers,
    properties,
  });
}
