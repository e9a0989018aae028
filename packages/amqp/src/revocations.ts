// Where an amqp:// broker keeps revocations so that a worker started later still skips a revoked task: on RabbitMQ
// there is no place to read them back from, so they live in the Redis result backend when there is one (the same
// sorted set core's Redis broker uses), else only in the memory of the workers that heard them (as Celery's
// workers on RabbitMQ without a state db).
import Redis from 'ioredis';
import type { RevokedEntry } from '@celeriac/core';

/** Celery's REVOKES_MAX, as core's Redis broker caps its set. */
const REVOKES_MAX = 50_000;
const KEY = 'celeriac.revoked';
const CHUNK = 1_000;

export interface RevocationStore {
  /** True when revocations outlive the workers that heard them. */
  readonly durable: boolean;
  add(ids: string[], expiresMs: number): Promise<void>;
  list(): Promise<RevokedEntry[]>;
  close(): Promise<void>;
}

export function revocationStore(resultBackend: string | null, timeout: number): RevocationStore {
  if (resultBackend && /^rediss?:/i.test(resultBackend)) return new RedisRevocations(resultBackend, timeout);
  return new MemoryRevocations();
}

class MemoryRevocations implements RevocationStore {
  readonly durable = false;
  readonly #until = new Map<string, number>();
  async add(ids: string[], expiresMs: number): Promise<void> {
    const until = Date.now() + expiresMs;
    for (const id of ids) {
      this.#until.delete(id);
      this.#until.set(id, until);
    }
    while (this.#until.size > REVOKES_MAX) this.#until.delete(this.#until.keys().next().value!);
  }
  async list(): Promise<RevokedEntry[]> {
    const now = Date.now();
    return [...this.#until].filter(([, u]) => u > now).map(([id, until]) => ({ id, until })).sort((a, b) => a.until - b.until);
  }
  async close(): Promise<void> {}
}

class RedisRevocations implements RevocationStore {
  readonly durable = true;
  #client: Redis | null = null;
  constructor(
    readonly url: string,
    readonly timeout: number,
  ) {}

  #redis(): Redis {
    this.#client ??= new Redis(this.url, { lazyConnect: false, connectTimeout: this.timeout, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    this.#client.on('error', () => undefined);
    return this.#client;
  }

  async add(ids: string[], expiresMs: number): Promise<void> {
    if (!ids.length) return;
    const until = Date.now() + expiresMs;
    const m = this.#redis().multi();
    for (let i = 0; i < ids.length; i += CHUNK) m.zadd(KEY, ...ids.slice(i, i + CHUNK).flatMap((id) => [until, id]));
    m.zremrangebyscore(KEY, '-inf', Date.now());
    m.zremrangebyrank(KEY, 0, -(REVOKES_MAX + 1));
    await m.exec();
  }

  async list(): Promise<RevokedEntry[]> {
    const flat = await this.#redis().zrangebyscore(KEY, Date.now(), '+inf', 'WITHSCORES');
    const out: RevokedEntry[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i]!, until: Number(flat[i + 1]) });
    return out;
  }

  async close(): Promise<void> {
    const c = this.#client;
    this.#client = null;
    if (c) await c.quit().catch(() => c.disconnect());
  }
}
