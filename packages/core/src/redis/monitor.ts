// Monitoring on Redis, as kombu does it: events are PUBLISHed on `/<db>.celeryev/<routing key>` (Celery turns its
// `celeryev` topic exchange into a fanout on Redis; receivers PSUBSCRIBE `/<db>.celeryev/*`), control commands on
// `/<db>.celery.pidbox`, and replies go to the asker's `<oid>.reply.celery.pidbox` list through the direct
// exchange `reply.celery.pidbox` (only while the asker's binding exists). celeriac also appends every event it
// sends to a capped stream, the history a dashboard reads.
import { randomUUID } from 'node:crypto';
import { HISTORY_CALL, type BroadcastOptions, type CeleryEvent, type ControlReply, type MonitorTransport, type ReplyTo, type StoredEvent } from '../broker/monitor';
import type { Connection, ConnectionPool } from './connection';
import { SEP, celeriacKeys, celeryKeys } from './keys';
import { withScripts } from './scripts';

const REPLY_EXCHANGE = 'reply.celery.pidbox';

interface EnvelopeOptions {
  exchange: string;
  routingKey: string;
  deliveryMode: 1 | 2;
  headers: Record<string, unknown>;
  replyTo?: string;
}

/** A kombu envelope around a JSON body (base64, as kombu's Redis transport writes it). */
export function kombuEnvelope(body: unknown, o: EnvelopeOptions): string {
  return envelopeOf(JSON.stringify(body), o);
}

function envelopeOf(json: string, o: EnvelopeOptions): string {
  return JSON.stringify({
    body: Buffer.from(json).toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: o.headers,
    properties: {
      delivery_mode: o.deliveryMode,
      delivery_info: { exchange: o.exchange, routing_key: o.routingKey },
      priority: 0,
      body_encoding: 'base64',
      delivery_tag: randomUUID(),
      ...(o.replyTo ? { reply_to: o.replyTo } : {}),
    },
  });
}

/** The body and headers of a kombu envelope, or null when it is not one. */
export function openEnvelope(raw: string): { body: unknown; headers: Record<string, unknown> } | null {
  try {
    const env = JSON.parse(raw) as { body?: unknown; headers?: Record<string, unknown>; properties?: { body_encoding?: string } };
    if (typeof env.body !== 'string') return null;
    const text = env.properties?.body_encoding === 'base64' ? Buffer.from(env.body, 'base64').toString('utf8') : env.body;
    return { body: JSON.parse(text) as unknown, headers: env.headers ?? {} };
  } catch {
    return null;
  }
}

/** The routing key of an event: its type with dashes as dots (`task-succeeded` → `task.succeeded`). */
export const eventRoutingKey = (type: string): string => type.replace(/-/g, '.');

function parseStream(rows: [string, string[]][]): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const [id, fields] of rows) {
    const i = fields.indexOf('e');
    if (i < 0 || i + 1 >= fields.length) continue;
    try {
      out.push({ id, event: JSON.parse(fields[i + 1]!) as CeleryEvent });
    } catch {
      // NOTE: an entry someone else wrote: skipped, the rest of the history stays readable.
    }
  }
  return out;
}

export class RedisMonitor implements MonitorTransport {
  #clock = 0;
  #reader: Connection | null = null;
  readonly #subscribers = new Set<Connection>();

  constructor(
    readonly rawUrl: string,
    readonly db: number,
    readonly conn: Connection,
    readonly pool: ConnectionPool,
  ) {}

  async publishEvents(events: readonly CeleryEvent[], historyMax: number): Promise<void> {
    if (!events.length) return;
    const triples: string[] = [];
    for (const e of events) {
      const routingKey = eventRoutingKey(e.type);
      let published = e;
      if (HISTORY_CALL in e) {
        published = { ...e };
        delete published[HISTORY_CALL];
      }
      // NOTE: one JSON text for both when they are the same event (most are): encoding is most of an event's cost.
      const text = JSON.stringify(published);
      const env = envelopeOf(text, { exchange: 'celeryev', routingKey, deliveryMode: 1, headers: { hostname: e.hostname } });
      const kept = historyMax > 0 && e.type.startsWith('task-') ? (published === e ? text : JSON.stringify(e)) : '';
      triples.push(routingKey, env, kept);
    }
    await this.conn.run(`PUBLISH ${events.length} event(s)`, (c) =>
      withScripts(c).celeriacEvents(celeriacKeys.events, `/${this.db}.celeryev/`, historyMax, ...triples),
    );
  }

  async reply(to: ReplyTo, ticket: string, hostname: string, payload: unknown): Promise<void> {
    const queue = `${to.routingKey}.${to.exchange}`;
    const member = `${to.routingKey}${SEP}${SEP}${queue}`;
    const env = kombuEnvelope({ [hostname]: payload }, {
      exchange: to.exchange,
      routingKey: to.routingKey,
      deliveryMode: 1,
      headers: { ticket, clock: ++this.#clock },
    });
    // NOTE: a direct exchange delivers only to bound queues: once the asker has gone (binding removed), nothing is
    // written, so no reply list is left behind.
    await this.conn.run('control reply', async (c) => {
      if (await c.sismember(`_kombu.binding.${to.exchange}`, member)) await c.lpush(queue, env);
    });
  }

  async broadcast(method: string, args: Record<string, unknown>, o: BroadcastOptions): Promise<ControlReply[]> {
    const oid = randomUUID();
    const ticket = randomUUID();
    const queue = `${oid}.${REPLY_EXCHANGE}`;
    const binding = `_kombu.binding.${REPLY_EXCHANGE}`;
    const member = `${oid}${SEP}${SEP}${queue}`;
    const body = {
      method,
      arguments: args,
      destination: o.destination?.length ? o.destination : null,
      pattern: null,
      matcher: null,
      ticket,
      reply_to: { exchange: REPLY_EXCHANGE, routing_key: oid },
    };
    const env = kombuEnvelope(body, {
      exchange: 'celery.pidbox',
      routingKey: '',
      deliveryMode: 2,
      headers: { clock: ++this.#clock, expires: (Date.now() + o.timeout) / 1000 },
    });
    const replies: ControlReply[] = [];
    const reader = this.pool.blocking(this.rawUrl, 'celeriac-control');
    try {
      await this.conn.run('control broadcast', async (c) => {
        await c.sadd(binding, member);
        await c.publish(celeryKeys.pidbox(this.db), env);
      });
      const deadline = Date.now() + o.timeout;
      while (Date.now() < deadline && (o.limit === undefined || replies.length < o.limit)) {
        const wait = Math.min(1, Math.max(0.01, (deadline - Date.now()) / 1000));
        const got = await reader.run('BRPOP control replies', (c) => c.brpop(queue, wait.toFixed(3)));
        if (!got) continue;
        const opened = openEnvelope(got[1]);
        if (!opened || opened.headers.ticket !== ticket || typeof opened.body !== 'object' || opened.body === null) continue;
        for (const [hostname, reply] of Object.entries(opened.body)) replies.push({ hostname, reply });
      }
    } finally {
      await this.conn.run('control cleanup', async (c) => {
        await c.srem(binding, member);
        await c.del(...celeryKeys.queueLists(queue));
      }).catch(() => undefined);
      await reader.close();
    }
    return replies;
  }

  async history(count: number, before?: string): Promise<StoredEvent[]> {
    const end = before ? `(${before}` : '+';
    const rows = await this.conn.run('XREVRANGE events', (c) => c.xrevrange(celeriacKeys.events, end, '-', 'COUNT', count));
    return parseStream(rows).reverse();
  }

  async readHistory(after: string, blockMs: number, count = 500): Promise<StoredEvent[]> {
    this.#reader ??= this.pool.blocking(this.rawUrl, 'celeriac-events');
    const res = await this.#reader.run('XREAD events', (c) =>
      c.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', celeriacKeys.events, after),
    );
    if (!res) return [];
    return parseStream(res[0]![1]);
  }

  async onWorkerEvents(listener: (event: CeleryEvent) => void): Promise<() => Promise<void>> {
    // NOTE: a connection of its own in subscriber mode (ioredis subscribes it again after a reconnect).
    const sub = this.pool.blocking(this.rawUrl, 'celeriac-workers');
    const pattern = `/${this.db}.celeryev/worker.*`;
    sub.client.on('pmessage', (_p: string, _channel: string, message: string) => {
      const opened = openEnvelope(message);
      const e = opened?.body as CeleryEvent | undefined;
      if (e && typeof e.type === 'string' && typeof e.hostname === 'string' && typeof e.timestamp === 'number') listener(e);
    });
    try {
      await sub.run(`PSUBSCRIBE ${pattern}`, (c) => c.psubscribe(pattern));
    } catch (err) {
      await sub.close();
      throw err;
    }
    this.#subscribers.add(sub);
    return async () => {
      this.#subscribers.delete(sub);
      await sub.close();
    };
  }

  async close(): Promise<void> {
    const r = this.#reader;
    this.#reader = null;
    await r?.close();
    await Promise.all([...this.#subscribers].map((s) => s.close()));
    this.#subscribers.clear();
  }
}
