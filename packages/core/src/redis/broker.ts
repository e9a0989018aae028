// The Redis broker: Celery's queue lists and kombu envelopes, plus celeriac's own keys for held messages,
// deferred (eta) messages, revocations, heartbeats and dead letters (see keys.ts).
import { randomUUID } from 'node:crypto';
import type { ChainableCommander } from 'ioredis';
import type { BeatStore, Broker, OutgoingMessage, BrokerConsumer, ConsumerOptions, ControlCommand, DeadLetter, DedupRequest, RevokedEntry, WorkerInfo } from '../broker/broker';
import { REVOKES_MAX } from '../broker/revoked';
import { redactUrl } from '../config';
import { RedisBeatStore } from './beat-store';
import { celeriacKeys, celeryKeys } from './keys';
import { TurnBatcher, type Connection, type ConnectionPool } from './connection';
import { withScripts } from './scripts';
import { RedisConsumer } from './consumer';
import { isSentinelUrl, parseSentinelUrl } from './sentinel';
import { RedisMonitor } from './monitor';

export function dbOf(url: string): number {
  if (isSentinelUrl(url)) return parseSentinelUrl('brokerUrl', url).db;
  const path = new URL(url).pathname.replace(/^\//, '');
  return path && /^\d+$/.test(path) ? Number(path) : 0;
}

export class RedisBroker implements Broker {
  readonly url: string;
  readonly #rawUrl: string;
  readonly #conn: Connection;
  readonly #declared = new Set<string>();
  /** Sends of this turn, per list (one LPUSH each batch). */
  readonly #outbox = new TurnBatcher<string[]>(
    () => [],
    (list, values) => this.#push(celeryKeys.queueOf(list), list, values),
  );
  #closed = false;
  #monitor: RedisMonitor | null = null;

  constructor(
    rawUrl: string,
    readonly pool: ConnectionPool,
  ) {
    this.#rawUrl = rawUrl;
    this.url = redactUrl(rawUrl);
    this.#conn = pool.command(rawUrl);
    withScripts(this.#conn.client);
  }

  /**
   * Messages sent in the same turn of the event loop to the same list go out as one LPUSH with many values (in
   * order: consumers RPOP, so the first sent is the first served). An HTTP server reads many requests per turn, each
   * sending one task: batched, they cost one command and one socket write instead of one each (the write syscall
   * was the largest part of a send's CPU). The wait is only the rest of the current turn (TurnBatcher).
   */
  publish(queue: string, priority: number, raw: string): Promise<void> {
    const batch = this.#outbox.join(celeryKeys.queue(queue, priority), raw.length);
    batch.items.push(raw);
    return batch.written;
  }

  /**
   * Many messages at once, through the same batches as publish(): one LPUSH per list and per WRITE_BATCH_CHARS of
   * values, all written in the same turn before any reply is read, so a bulk send costs one round trip. Values keep
   * their order within each list (one connection runs them in order). Separate commands rather than one pipeline:
   * ioredis writes a pipeline as one string, as large as the batch.
   */
  publishMany(entries: readonly OutgoingMessage[]): Promise<void> {
    const written = new Set<Promise<void>>();
    for (const e of entries) written.add(this.publish(e.queue, e.priority, e.raw));
    return Promise.all(written).then(() => undefined);
  }

  async #push(queue: string, key: string, values: string[]): Promise<void> {
    await this.#conn.run(`LPUSH ${queue}`, (c) => {
      if (!this.#declared.has(queue)) {
        // NOTE: kombu declares the binding before the first publish; a Celery worker needs it to route replies.
        this.#declared.add(queue);
        void c.sadd(celeryKeys.binding(queue), celeryKeys.bindingMember(queue)).catch(() => this.#declared.delete(queue));
        void c.sadd(celeriacKeys.queues, queue).catch(() => this.#declared.delete(queue));
      }
      return c.lpush(key, ...values);
    });
  }

  consumer(options: ConsumerOptions): BrokerConsumer {
    return new RedisConsumer(this.#rawUrl, this.pool, this.#conn, options);
  }

  async revoke(taskIds: string[], expiresMs: number, terminate: boolean): Promise<void> {
    const body = { method: 'revoke', arguments: { task_id: taskIds.length === 1 ? taskIds[0] : taskIds, terminate, signal: terminate ? 'SIGTERM' : null }, destination: null, pattern: null, matcher: null };
    const envelope = JSON.stringify({
      body: Buffer.from(JSON.stringify(body)).toString('base64'),
      'content-encoding': 'utf-8',
      'content-type': 'application/json',
      // NOTE: tells celeriac workers that this revoke is stored already (Celery's workers ignore unknown headers).
      headers: { clock: 1, expires: Date.now() / 1000 + 10, [STORED_HEADER]: true },
      properties: {
        delivery_mode: 2,
        delivery_info: { exchange: 'celery.pidbox', routing_key: '' },
        priority: 0,
        body_encoding: 'base64',
        delivery_tag: randomUUID(),
      },
    });
    await this.#conn.run('REVOKE', async (c) => {
      const m = addRevoked(c.multi(), taskIds, expiresMs);
      m.publish(celeryKeys.pidbox(dbOf(this.#rawUrl)), envelope);
      await m.exec();
    });
  }

  async revoked(): Promise<RevokedEntry[]> {
    // NOTE: the score of each id is its expiry.
    const flat = await this.#conn.run('ZRANGEBYSCORE revoked', (c) => c.zrangebyscore(celeriacKeys.revoked, Date.now(), '+inf', 'WITHSCORES'));
    const out: RevokedEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i]!, until: Number(flat[i + 1]) });
    return out;
  }

  async storeRevoked(taskIds: string[], expiresMs: number): Promise<void> {
    if (!taskIds.length) return;
    await this.#conn.run('store revoked', (c) => addRevoked(c.multi(), taskIds, expiresMs).exec());
  }

  async onControl(listener: (cmd: ControlCommand) => void): Promise<() => Promise<void>> {
    const sub = this.pool.subscriber(this.#rawUrl);
    const unsub = await sub.subscribe(celeryKeys.pidbox(dbOf(this.#rawUrl)), (message) => {
      const cmd = parseControl(message);
      if (cmd) listener(cmd);
    }).catch(async (err) => {
      await this.pool.releaseSubscriber(this.#rawUrl);
      throw err;
    });
    return async () => {
      unsub();
      await this.pool.releaseSubscriber(this.#rawUrl);
    };
  }

  async purge(queue: string): Promise<number> {
    return this.#conn.run(`purge ${queue}`, async (c) => {
      const lists = celeryKeys.queueLists(queue);
      const m = c.multi();
      for (const l of lists) m.llen(l);
      m.del(...lists);
      const res = (await m.exec()) ?? [];
      return res.slice(0, lists.length).reduce((n, [, v]) => n + Number(v ?? 0), 0);
    });
  }

  async queueLength(queue: string): Promise<number> {
    return this.#conn.run(`LLEN ${queue}`, async (c) => {
      const lens = await Promise.all(celeryKeys.queueLists(queue).map((l) => c.llen(l)));
      return lens.reduce((a, b) => a + b, 0);
    });
  }

  async queueNames(): Promise<string[]> {
    // NOTE: candidates come from celeriac's own index and the live workers' queues, never a SCAN of the keyspace.
    const known = await this.#conn.run('SMEMBERS queues', (c) => c.smembers(celeriacKeys.queues));
    const live = (await this.workers()).flatMap((w) => w.queues);
    const candidates = [...new Set([...known, ...live, ...this.#declared])].sort();
    if (!candidates.length) return [];
    return this.#conn.run('LLEN queues', async (c) => {
      const lists = candidates.map((q) => celeryKeys.queueLists(q));
      const m = c.multi();
      for (const l of lists.flat()) m.llen(l);
      const lens = ((await m.exec()) ?? []).map(([, n]) => Number(n ?? 0));
      let at = 0;
      return candidates.filter((_, i) => lens.slice(at, (at += lists[i]!.length)).some((n) => n > 0));
    });
  }

  async delayedCount(): Promise<number> {
    return this.#conn.run('ZCARD delayed', (c) => c.zcard(celeriacKeys.delayed));
  }

  async deadLetterCount(): Promise<number> {
    return this.#conn.run('LLEN deadletter', (c) => c.llen(celeriacKeys.deadLetter));
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const rows = await this.#conn.run('LRANGE deadletter', (c) => c.lrange(celeriacKeys.deadLetter, 0, limit - 1));
    return rows.map((r) => JSON.parse(r) as DeadLetter);
  }

  async workers(): Promise<WorkerInfo[]> {
    return this.#conn.run('workers', async (c) => {
      const ids = await c.zrange(celeriacKeys.workers, 0, -1, 'WITHSCORES');
      const out: WorkerInfo[] = [];
      for (let i = 0; i < ids.length; i += 2) {
        const info = await c.get(celeriacKeys.workerInfo(ids[i]!));
        if (!info) continue;
        const w = JSON.parse(info) as WorkerInfo & { heartbeatTimeout?: number };
        const lastSeen = Number(ids[i + 1]);
        if (w.heartbeatTimeout && Date.now() - lastSeen > w.heartbeatTimeout) continue;
        out.push({ ...w, lastSeen });
      }
      return out;
    });
  }

  monitor(): RedisMonitor {
    this.#monitor ??= new RedisMonitor(this.#rawUrl, dbOf(this.#rawUrl), this.#conn, this.pool);
    return this.#monitor;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#monitor?.close();
    await this.pool.releaseCommand(this.#rawUrl);
  }

  async reserveRate(name: string, intervalMs: number): Promise<number> {
    // NOTE: the wait comes back relative to Redis's clock and is added to ours: clocks of workers may differ.
    const [wait] = await this.#conn.run('rate', (c) => withScripts(c).celeriacRate(celeriacKeys.rate(name), intervalMs));
    return Date.now() + wait;
  }

  async publishOnce(queue: string, priority: number, raw: string, dedup: DedupRequest): Promise<string | null> {
    const held = await this.#conn.run(`LPUSH ${queue}`, (c) =>
      withScripts(c).celeriacPublishOnce(
        celeriacKeys.dedup(dedup.key),
        celeryKeys.queue(queue, priority),
        celeryKeys.binding(queue),
        celeriacKeys.queues,
        dedup.taskId,
        Math.max(1, Math.round(dedup.ttl)),
        raw,
        celeryKeys.bindingMember(queue),
        queue,
      ),
    );
    return held ?? null;
  }

  beatStore(): BeatStore {
    return new RedisBeatStore(this.#conn, true);
  }

  async releaseDedup(key: string, taskId: string): Promise<void> {
    await this.#conn.run('release dedup', (c) => withScripts(c).celeriacDedupRelease(celeriacKeys.dedup(key), taskId));
  }

  async deadLetterRange(start: number, count: number): Promise<DeadLetter[]> {
    if (count <= 0) return [];
    const rows = await this.#conn.run('LRANGE deadletter', (c) => c.lrange(celeriacKeys.deadLetter, -(start + count), -(start + 1)));
    return rows.reverse().map((r) => JSON.parse(r) as DeadLetter);
  }

  async redriveDeadLetter(n: number, taskId?: string): Promise<boolean> {
    const moved = await this.#conn.run('redrive', (c) => withScripts(c).celeriacRedrive(celeriacKeys.deadLetter, celeriacKeys.queues, 'at', n, taskId ?? ''));
    return moved > 0;
  }

  redriveDeadLetters(max: number): Promise<number> {
    return this.#conn.run('redrive', (c) => withScripts(c).celeriacRedrive(celeriacKeys.deadLetter, celeriacKeys.queues, 'oldest', max));
  }

  async purgeDeadLetters(max: number): Promise<number> {
    const gone = await this.#conn.run('purge deadletter', (c) => c.rpop(celeriacKeys.deadLetter, max));
    return gone?.length ?? 0;
  }
}

/** The envelope header that marks a revoke celeriac stored before broadcasting it. */
const STORED_HEADER = 'celeriac_stored';

/** ids per ZADD: one command for a batch, without building one huge argument list. */
const ZADD_CHUNK = 1_000;

/**
 * Queues the revoked set's update: the ids with their expiry, expired ones dropped, and at most REVOKES_MAX
 * kept. The lowest scores go: with one expiry setting, the oldest revocations; ids revoked in the same
 * millisecond go in the order of their names (as in Celery's LimitedSet, whose heap breaks ties by id).
 */
function addRevoked(m: ChainableCommander, taskIds: string[], expiresMs: number): ChainableCommander {
  const until = Date.now() + expiresMs;
  for (let i = 0; i < taskIds.length; i += ZADD_CHUNK) {
    m.zadd(celeriacKeys.revoked, ...taskIds.slice(i, i + ZADD_CHUNK).flatMap((id) => [until, id]));
  }
  m.zremrangebyscore(celeriacKeys.revoked, '-inf', Date.now());
  m.zremrangebyrank(celeriacKeys.revoked, 0, -(REVOKES_MAX + 1));
  return m;
}

function parseControl(message: string): ControlCommand | null {
  try {
    const env = JSON.parse(message) as { body?: string; headers?: Record<string, unknown>; properties?: { body_encoding?: string } };
    if (typeof env.body !== 'string') return null;
    const text = env.properties?.body_encoding === 'base64' ? Buffer.from(env.body, 'base64').toString('utf8') : env.body;
    const body = JSON.parse(text) as { method?: unknown; arguments?: unknown; destination?: unknown; ticket?: unknown; reply_to?: unknown };
    if (typeof body.method !== 'string') return null;
    const cmd: ControlCommand = { method: body.method, arguments: (body.arguments as Record<string, unknown>) ?? {} };
    if (env.headers?.[STORED_HEADER] === true) cmd.stored = true;
    if (Array.isArray(body.destination)) cmd.destination = body.destination.filter((d): d is string => typeof d === 'string');
    const to = body.reply_to as { exchange?: unknown; routing_key?: unknown } | null | undefined;
    if (to && typeof to.exchange === 'string' && typeof to.routing_key === 'string' && typeof body.ticket === 'string') {
      cmd.replyTo = { exchange: to.exchange, routingKey: to.routing_key };
      cmd.ticket = body.ticket;
    }
    return cmd;
  } catch {
    return null;
  }
}
