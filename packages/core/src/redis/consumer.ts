// A worker's side of the Redis broker. Messages move from the queue lists into the worker's own
// unacked hash in one Lua step (fetch-1.lua), so a SIGKILL at any moment loses nothing: the other
// workers give back the hash of a worker whose heartbeat stopped (tick-4.lua).
// Waiting for work does not poll: one blocking "peek" per list (BLMOVE key key RIGHT RIGHT, which
// leaves the list as it was) wakes the worker when a message arrives, from Node or from Python.
import type { BrokerConsumer, ConsumerOptions, Delivery, LivenessTarget, SlotRequest, WorkerInfo } from '../broker/broker';
import { celeriacKeys, celeryKeys } from './keys';
import type { Connection, ConnectionPool } from './connection';
import { withScripts } from './scripts';
import { RedisBackend } from './backend';
import type { ResultBackend } from '../backend/backend';
import type { ResultMeta } from '../protocol/result-meta';

const PEEK_TIMEOUT_S = 30;

/**
 * The heartbeat thread's beat (liveness.ts): refreshes the worker's entry, with Redis' clock as the tick does,
 * only while the worker is still registered (never brings back one that stopped or was taken for dead).
 */
const ALIVE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
  return 1
end
return 0`;
const MAX_PROMOTE = 1000;

interface Peeker {
  conn: Connection;
  pending: Promise<void> | null;
}

export class RedisConsumer implements BrokerConsumer {
  readonly #unacked: string;
  /** Per queue, its lists highest priority first. */
  readonly #queueLists: string[][];
  readonly #peekers = new Map<string, Peeker>();
  #seq = 0;
  #rotation = 0;
  #stopped = false;
  #wake: (() => void) | null = null;
  #settle: ((woken: boolean) => void) | null = null;
  // NOTE: a wake() that arrives while no wait is pending (mid-fetch) must still end the next wait.
  #wakePending = false;
  #acks: string[] = [];
  #ackFlush: Promise<void> | null = null;
  /** Tag prefixes of fetches this side gave up on (timeout, lost connection) that Redis may still run. */
  #lostFetches: string[] = [];

  constructor(
    readonly rawUrl: string,
    readonly pool: ConnectionPool,
    readonly conn: Connection,
    readonly options: ConsumerOptions,
  ) {
    this.#unacked = celeriacKeys.unacked(options.workerId);
    this.#queueLists = options.queues.map((q) => celeryKeys.queueLists(q));
    conn.client.on('ready', this.#onCommandsReady);
  }

  /**
   * NOTE: the command connection came (back) up, perhaps on another server (a Sentinel failover moves it at once,
   * while a demoted master keeps blocked peeks waiting until it is reconfigured, seconds later): the peeks
   * reconnect too, wherever the master is now, and the worker reads its queues at once.
   */
  readonly #onCommandsReady = (): void => {
    if (this.#stopped) return;
    for (const p of this.#peekers.values()) if (p.pending) p.conn.client.disconnect(true);
    // NOTE: the current wait ends as "a list may have something", not as a wake() (fetch would return empty): the
    // fetch loop reads the queues where the master is now, then waits again.
    this.#settle?.(false);
  };

  async start(info: WorkerInfo): Promise<void> {
    await this.heartbeat(info);
  }

  /** Every list, priority-major, rotating the queue order between calls for fairness. */
  #lists(): string[] {
    const lists = this.#queueLists;
    const r = this.#rotation++ % lists.length;
    const out: string[] = [];
    for (let step = 0; step < 4; step++) {
      for (let i = 0; i < lists.length; i++) out.push(lists[(r + i) % lists.length]![step]!);
    }
    return out;
  }

  async #take(max: number): Promise<Delivery[]> {
    if (this.#lostFetches.length) await this.#giveBackLostFetches();
    const prefix = `${++this.#seq}:`;
    let flat: string[];
    try {
      flat = await this.conn.run('fetch', (c) => withScripts(c).celeriacFetch(this.#unacked, max, prefix, ...this.#lists()));
    } catch (err) {
      // NOTE: a fetch we stopped waiting for can still run on Redis (a stalled server, or ioredis resending it
      // after a reconnect): its messages would sit in our unacked hash, held by a live worker that never runs them.
      this.#lostFetches.push(prefix);
      throw err;
    }
    const out: Delivery[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      const key = flat[i + 1]!;
      out.push({ tag: flat[i]!, key, queue: celeryKeys.queueOf(key), raw: flat[i + 2]! });
    }
    return out;
  }

  /**
   * Gives back whatever the fetches we gave up on took. Sent on the same connection, so Redis runs it after
   * them (a command resent after a reconnect goes out before any new one).
   */
  async #giveBackLostFetches(): Promise<void> {
    const lost = this.#lostFetches;
    const tags = await this.conn.run('fetch recovery', (c) => c.hkeys(this.#unacked));
    const orphans = tags.filter((t) => lost.some((p) => t.startsWith(p)));
    if (orphans.length) await this.conn.run('fetch recovery', (c) => withScripts(c).celeriacRequeue(this.#unacked, ...orphans));
    this.#lostFetches = [];
  }

  async fetch(max: number): Promise<Delivery[]> {
    for (;;) {
      const got = await this.#take(max);
      if (got.length || this.#stopped) return got;
      if (this.#wakePending) {
        this.#wakePending = false;
        return got;
      }
      const woken = await this.#waitForAny();
      if (woken) return this.#stopped ? [] : this.#take(max);
    }
  }

  /**
   * Ready, on the server the commands go to. NOTE: Sentinel only: a peek that was not in flight when the commands
   * moved to a new master (the worker had no free slot), or whose reconnect asked a sentinel that had not yet heard
   * of the failover, is still on the demoted master, which answers as a master with empty lists until the sentinels
   * reconfigure it (seconds later): the worker would wait there while work arrives on the new one. Each reconnect
   * asks the sentinels again; after the connection's timeout the peek goes ahead (it ends within PEEK_TIMEOUT_S).
   */
  async #besideCommands(conn: Connection): Promise<void> {
    await conn.ready();
    const deadline = Date.now() + conn.timeout;
    let here: string | undefined;
    while ((here = this.conn.sentinelServer) && conn.sentinelServer !== here && !this.#stopped && Date.now() < deadline) {
      await conn.reconnect();
    }
  }

  /** Resolves true when woken by wake(), false when a list may have something. */
  #waitForAny(): Promise<boolean> {
    for (const key of this.#lists()) {
      let p = this.#peekers.get(key);
      if (!p) {
        p = { conn: this.pool.blocking(this.rawUrl, 'celeriac-peek'), pending: null };
        this.#peekers.set(key, p);
      }
      if (!p.pending) {
        const peeker = p;
        peeker.pending = this.#besideCommands(peeker.conn)
          .then(() => peeker.conn.client.blmove(key, key, 'RIGHT', 'RIGHT', PEEK_TIMEOUT_S))
          .then(
            () => undefined,
            // NOTE: a failed peek (Redis away) pauses briefly so the loop cannot spin; fetch then reports the error.
            // One failed by stop() does not: its timer would keep a closed worker's process alive.
            () => (this.#stopped ? undefined : new Promise<void>((r) => setTimeout(r, 200))),
          )
          .finally(() => {
            peeker.pending = null;
            this.#settle?.(false);
          });
      }
    }
    // NOTE: peeks outlive a wait (a peek on an idle list lasts up to PEEK_TIMEOUT_S); each reports to whichever
    // wait is current, so waits do not pile handlers onto them.
    return new Promise<boolean>((resolve) => {
      this.#settle = (woken) => {
        this.#settle = null;
        this.#wake = null;
        resolve(woken);
      };
      this.#wake = () => this.#settle?.(true);
    });
  }

  wake(): void {
    if (this.#wake) this.#wake();
    else this.#wakePending = true;
  }

  ack(d: Delivery): Promise<void> {
    this.#acks.push(d.tag);
    if (!this.#ackFlush) {
      // NOTE: acks finishing in the same turn share one HDEL: fewer commands per task under load.
      this.#ackFlush = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#flushAcks());
    }
    return this.#ackFlush;
  }

  ackWithResult(backend: ResultBackend): ((d: Delivery, meta: ResultMeta, expiresMs: number) => Promise<void>) | null {
    if (!(backend instanceof RedisBackend) || !backend.writesOn(this.conn)) return null;
    const unacked = this.#unacked;
    return (d, meta, expiresMs) => backend.storeAndAck(meta, expiresMs, unacked, d.tag);
  }

  async #flushAcks(): Promise<void> {
    const tags = this.#acks;
    this.#acks = [];
    this.#ackFlush = null;
    if (tags.length) await this.conn.run('ack', (c) => c.hdel(this.#unacked, ...tags));
  }

  async requeue(ds: Delivery[]): Promise<void> {
    if (!ds.length) return;
    await this.conn.run('requeue', (c) => withScripts(c).celeriacRequeue(this.#unacked, ...ds.map((d) => d.tag)));
  }

  async deadLetter(d: Delivery, reason: string): Promise<void> {
    const entry = JSON.stringify({ reason, queue: d.queue, raw: d.raw, at: Date.now(), worker: this.options.workerId });
    // NOTE: only while we still hold it: a write resent after a reconnect, or a message another worker's recovery
    // already gave back (it will dead-letter it itself), must not leave a second dead letter.
    await this.conn.run('dead-letter', (c) => withScripts(c).celeriacDeadLetter(this.#unacked, celeriacKeys.deadLetter, d.tag, entry));
  }

  async defer(d: Delivery, eta: number): Promise<void> {
    // NOTE: only while we still hold it (as dead-letter): recovery may have given it back to run elsewhere.
    await this.conn.run('defer', (c) => withScripts(c).celeriacDefer(this.#unacked, celeriacKeys.delayed, d.tag, eta, `${d.key}\n${d.raw}`));
  }

  async #tick(workerId: string, info: string) {
    const [recovered, promoted, next] = await this.conn.run('heartbeat', (c) =>
      withScripts(c).celeriacTick(
        celeriacKeys.workers,
        celeriacKeys.workerInfo(this.options.workerId),
        celeriacKeys.delayed,
        celeriacKeys.workersSince,
        workerId,
        info,
        this.options.heartbeatTimeout,
        celeriacKeys.unackedPrefix,
        celeriacKeys.workerInfoPrefix,
        MAX_PROMOTE,
      ),
    );
    return { recovered, promoted, nextDue: next < 0 ? null : next };
  }

  heartbeat(info: WorkerInfo) {
    return this.#tick(this.options.workerId, JSON.stringify({ ...info, heartbeatTimeout: this.options.heartbeatTimeout }));
  }

  async promoteDue() {
    const { promoted, nextDue } = await this.#tick('', '');
    return { promoted, nextDue };
  }

  async acquireSlot(d: Delivery, slot: SlotRequest): Promise<'acquired' | 'parked' | 'gone'> {
    const got = await this.conn.run('acquire slot', (c) =>
      withScripts(c).celeriacSlotAcquire(
        celeriacKeys.slots(slot.name),
        celeriacKeys.slotWait(slot.name),
        this.#unacked,
        celeriacKeys.workers,
        celeriacKeys.slotIndex,
        slot.max,
        `${this.options.workerId}\t${d.tag}`,
        d.tag,
        this.options.heartbeatTimeout,
        `${d.key}\n${d.raw}`,
        slot.name,
      ),
    );
    return got === 1 ? 'acquired' : got === 0 ? 'parked' : 'gone';
  }

  async releaseSlot(d: Delivery, slot: SlotRequest): Promise<void> {
    await this.conn.run('release slot', (c) =>
      withScripts(c).celeriacSlotRelease(celeriacKeys.slots(slot.name), celeriacKeys.slotWait(slot.name), celeriacKeys.slotIndex, `${this.options.workerId}\t${d.tag}`, slot.max, slot.name),
    );
  }

  reapSlots(): Promise<number> {
    return this.conn.run('reap slots', (c) =>
      withScripts(c).celeriacSlotReap(celeriacKeys.slotIndex, celeriacKeys.workers, this.options.heartbeatTimeout, celeriacKeys.slotsPrefix, celeriacKeys.slotWaitPrefix),
    );
  }

  livenessTarget(): LivenessTarget | null {
    const options = this.pool.threadOptions(this.rawUrl);
    if (!options) return null;
    return {
      kind: 'redis',
      url: this.rawUrl,
      options,
      lua: ALIVE_LUA,
      workers: celeriacKeys.workers,
      info: celeriacKeys.workerInfo(this.options.workerId),
      member: this.options.workerId,
      ttl: this.options.heartbeatTimeout * 3,
    };
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.conn.client.off('ready', this.#onCommandsReady);
    this.wake();
    for (const p of this.#peekers.values()) p.conn.client.disconnect();
    this.#peekers.clear();
    if (this.#ackFlush) await this.#ackFlush.catch(() => undefined);
    await this.conn
      .run('deregister', async (c) => {
        if ((await c.hlen(this.#unacked)) > 0) return; // NOTE: still held: leave them for recovery by others.
        await c.multi().zrem(celeriacKeys.workers, this.options.workerId)
          .hdel(celeriacKeys.workersSince, this.options.workerId)
          .del(celeriacKeys.workerInfo(this.options.workerId))
          .exec();
      })
      .catch(() => undefined);
  }
}
