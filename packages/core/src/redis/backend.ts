// Celery's Redis result backend: `celery-task-meta-<id>` JSON with an expiry, PUBLISHed on the key's
// own name on every store, so a Python `AsyncResult.get()` (which only listens) sees it (celery-wire.md §2).
import { notify, type ResultBackend } from '../backend/backend';
import type { ResultMeta } from '../protocol/result-meta';
import { redactUrl } from '../config';
import { BackendError, SerializationError } from '../errors';
import { celeryKeys } from './keys';
import { TurnBatcher, type Connection, type ConnectionPool, type OpenBatch, type Subscriber } from './connection';
import { withScripts } from './scripts';
import type { ChordPart, GroupBackend } from '../backend/groups';
import * as groups from './groups';

interface StoreBatch {
  /** Triplets: key, JSON, expiry in ms. */
  stores: string[];
  /** Acks that go with these results: per unacked hash, its tags (storeAndAck). */
  acks: Map<string, string[]> | null;
}

/** A state as JSON, or the rejection of one that cannot be (permanent: a worker does not retry it). */
function encodeMeta(meta: ResultMeta): string | Promise<never> {
  try {
    return JSON.stringify(meta);
  } catch (err) {
    return Promise.reject(new SerializationError(`Cannot store the state of task ${meta.task_id}: ${(err as Error).message}`));
  }
}

export class RedisBackend implements ResultBackend, GroupBackend {
  readonly url: string;
  readonly #rawUrl: string;
  readonly #conn: Connection;
  #sub: Subscriber | null = null;
  #closed = false;
  /** Stores of this turn (one script call each batch). */
  readonly #batches = new TurnBatcher<StoreBatch>(
    () => ({ stores: [], acks: null }),
    (_, batch) => this.#write(batch),
  );

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
   * Stores are gathered for one turn of the event loop (TurnBatcher) and written by one script call (store-0.lua),
   * in order: far fewer round trips and bytes than SET + PUBLISH each. A failed batch rejects every store in it.
   */
  store(meta: ResultMeta, expiresMs: number): Promise<void> {
    const json = encodeMeta(meta);
    if (typeof json !== 'string') return json;
    return this.#add(meta.task_id, json, expiresMs).written;
  }

  /** Whether this backend writes on `conn` (a broker on the same Redis URL shares the app's connection). */
  writesOn(conn: Connection): boolean {
    return conn === this.#conn;
  }

  /**
   * Stores a task's final state and acks its message (removes `tag` from the worker's unacked hash) in one script
   * call, in the same batch and order as other stores (a STARTED written earlier is never written after it). For a
   * consumer this backend `writesOn` the connection of: the hash is on the same server.
   */
  storeAndAck(meta: ResultMeta, expiresMs: number, unacked: string, tag: string): Promise<void> {
    // NOTE: a state that cannot be encoded is neither stored nor acked: the worker stores the failure instead.
    const json = encodeMeta(meta);
    if (typeof json !== 'string') return json;
    const batch = this.#add(meta.task_id, json, expiresMs);
    const acks = (batch.items.acks ??= new Map());
    const tags = acks.get(unacked);
    if (tags) tags.push(tag);
    else acks.set(unacked, [tag]);
    return batch.written;
  }

  #add(taskId: string, json: string, expiresMs: number): OpenBatch<StoreBatch> {
    const batch = this.#batches.join('', json.length);
    batch.items.stores.push(celeryKeys.taskMeta(taskId), json, String(expiresMs));
    return batch;
  }

  async #write({ stores, acks }: StoreBatch): Promise<void> {
    const n = stores.length / 3;
    const args: (string | number)[] = stores;
    if (acks) for (const [unacked, tags] of acks) args.push(unacked, tags.length, ...tags);
    const what = `store ${n === 1 ? 'a result' : `${n} results`}${acks ? ' and ack' : ''}`;
    await this.#conn.run(acks ? 'store results and ack' : 'store results', (c) => withScripts(c).celeriacStore(n, ...args)).catch(this.#fail(what));
  }

  /** Rejects with a BackendError naming this backend (password hidden) and the operation, the cause attached. */
  #fail(what: string): (err: unknown) => never {
    return (err: unknown) => {
      const why = err instanceof Error ? err.message : String(err);
      throw new BackendError(`Result backend ${this.url} could not ${what}: ${why}`, { cause: err });
    };
  }

  async get(taskId: string): Promise<ResultMeta | null> {
    const key = celeryKeys.taskMeta(taskId);
    const v = await this.#conn.run('GET result', (c) => c.get(key)).catch(this.#fail(`read the result of task ${taskId}`));
    if (v === null) return null;
    try {
      return JSON.parse(v) as ResultMeta;
    } catch (err) {
      return this.#fail(`read the result of task ${taskId} (${key} is not JSON)`)(err);
    }
  }

  async forget(taskId: string): Promise<void> {
    await this.#conn.run('forget', (c) => c.del(celeryKeys.taskMeta(taskId))).catch(this.#fail(`forget the result of task ${taskId}`));
  }

  getMany(taskIds: string[]): Promise<(ResultMeta | null)[]> {
    return groups.getMany(this.#conn, taskIds).then(groups.parseMetas, this.#fail(`read ${taskIds.length} results`));
  }

  saveGroup(groupId: string, taskIds: string[], expiresMs: number): Promise<void> {
    return groups.saveGroup(this.#conn, groupId, taskIds, expiresMs).catch(this.#fail(`save group ${groupId}`));
  }

  restoreGroup(groupId: string): Promise<string[] | null> {
    return groups.restoreGroup(this.#conn, groupId).catch(this.#fail(`read group ${groupId}`));
  }

  forgetGroup(groupId: string): Promise<void> {
    return groups.forgetGroup(this.#conn, groupId).catch(this.#fail(`forget group ${groupId}`));
  }

  setChordSize(groupId: string, size: number, expiresMs: number): Promise<void> {
    return groups.setChordSize(this.#conn, groupId, size, expiresMs).catch(this.#fail(`store the size of chord ${groupId}`));
  }

  chordPartReturn(groupId: string, part: ChordPart, expiresMs: number): Promise<ChordPart[] | null | 'unknown'> {
    return groups.chordPartReturn(this.#conn, groupId, part, expiresMs).catch(this.#fail(`count a part of chord ${groupId}`));
  }

  forgetChord(groupId: string): Promise<void> {
    return groups.forgetChord(this.#conn, groupId).catch(this.#fail(`delete the counters of chord ${groupId}`));
  }

  async subscribe(taskId: string, listener: (meta: ResultMeta) => void): Promise<() => void> {
    if (!this.#sub) this.#sub = this.pool.subscriber(this.#rawUrl);
    const unsubscribe = await this.#sub
      .subscribe(celeryKeys.taskMeta(taskId), (message) => {
        let meta: ResultMeta;
        try {
          meta = JSON.parse(message) as ResultMeta;
        } catch {
          return; // a value that is not JSON is not ours to report
        }
        notify(listener, meta);
      })
      .catch(this.#fail(`subscribe to the result of task ${taskId}`));
    // NOTE: a state published while the subscriber was reconnecting is lost; read it once the channel is back.
    const stopRecheck = this.#sub.onReconnect(() => {
      this.get(taskId).then((meta) => meta && notify(listener, meta), () => undefined);
    });
    return () => {
      stopRecheck();
      unsubscribe();
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#sub) await this.pool.releaseSubscriber(this.#rawUrl);
    await this.pool.releaseCommand(this.#rawUrl);
  }
}
