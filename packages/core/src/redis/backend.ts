// Celery's Redis result backend: `celery-task-meta-<id>` JSON with an expiry, PUBLISHed on the key's
// own name on every store, so a Python `AsyncResult.get()` (which only listens) sees it (celery-wire.md §2).
import type { ResultBackend } from '../backend/backend';
import type { ResultMeta } from '../protocol/result-meta';
import { redactUrl } from '../config';
import { celeryKeys } from './keys';
import type { Connection, ConnectionPool, Subscriber } from './connection';

export class RedisBackend implements ResultBackend {
  readonly url: string;
  readonly #rawUrl: string;
  readonly #conn: Connection;
  #sub: Subscriber | null = null;
  #closed = false;

  constructor(
    rawUrl: string,
    readonly pool: ConnectionPool,
  ) {
    this.#rawUrl = rawUrl;
    this.url = redactUrl(rawUrl);
    this.#conn = pool.command(rawUrl);
  }

  async store(meta: ResultMeta, expiresMs: number): Promise<void> {
    const key = celeryKeys.taskMeta(meta.task_id);
    const value = JSON.stringify(meta);
    await this.#conn.run('store result', (c) => Promise.all([c.set(key, value, 'PX', expiresMs), c.publish(key, value)]));
  }

  async get(taskId: string): Promise<ResultMeta | null> {
    const v = await this.#conn.run('GET result', (c) => c.get(celeryKeys.taskMeta(taskId)));
    return v === null ? null : (JSON.parse(v) as ResultMeta);
  }

  async forget(taskId: string): Promise<void> {
    await this.#conn.run('forget', (c) => c.del(celeryKeys.taskMeta(taskId)));
  }

  async subscribe(taskId: string, listener: (meta: ResultMeta) => void): Promise<() => void> {
    if (!this.#sub) this.#sub = this.pool.subscriber(this.#rawUrl);
    return this.#sub.subscribe(celeryKeys.taskMeta(taskId), (message) => {
      try {
        listener(JSON.parse(message) as ResultMeta);
      } catch {
        // a value that is not JSON is not ours to report
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sub) await this.pool.releaseSubscriber(this.#rawUrl);
    await this.pool.releaseCommand(this.#rawUrl);
  }
}
