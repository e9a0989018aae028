// In-process broker (`memory://`): the embedded default for development and tests.
// Same semantics as the Redis broker: priorities, held messages, deferral, revocation, recovery.
import type { BeatClaim, BeatClaimResult, BeatStore, Broker, BrokerConsumer, ConsumerOptions, ControlCommand, DeadLetter, DedupRequest, Delivery, RevokedEntry, SlotRequest, WorkerInfo } from './broker';
import { PRIORITY_STEPS, priorityStep } from './broker';
import { RevokedSet } from './revoked';
import { BrokerError } from '../errors';

interface Held {
  key: string;
  queue: string;
  raw: string;
}

/** A FIFO with cheap removal at the front (Array#shift is linear on long queues). */
class Deque {
  #items: string[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(v: string): void {
    this.#items.push(v);
  }

  unshift(v: string): void {
    if (this.#head > 0) this.#items[--this.#head] = v;
    else this.#items.unshift(v);
  }

  shift(): string | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const v = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return v;
  }

  clear(): number {
    const n = this.length;
    this.#items = [];
    this.#head = 0;
    return n;
  }
}

class MemoryState {
  refs = 0;
  readonly lists = new Map<string, Deque>();
  readonly processing = new Map<string, Map<string, Held>>();
  readonly delayed: { eta: number; held: Held }[] = [];
  readonly revoked = new RevokedSet();
  readonly dead: DeadLetter[] = [];
  /** `since`: start of the worker's current gap-free run of heartbeats (ms). */
  readonly workers = new Map<string, { info: WorkerInfo; lastSeen: number; timeout: number; since: number }>();
  readonly waiters = new Set<() => void>();
  readonly control = new Set<(cmd: ControlCommand) => void>();
  /** Next free slot (ms) of each globalRateLimit. */
  readonly rates = new Map<string, number>();
  /** Per-key concurrency slots: holders ("<worker>\t<tag>") and the messages parked for them (oldest first). */
  readonly slots = new Map<string, { max: number; holders: Set<string>; parked: Held[] }>();
  readonly dedup = new Map<string, { taskId: string; until: number }>();
  /** Periodic (beat) entries' last runs (ms). */
  readonly beat = new Map<string, number>();

  alive(workerId: string): boolean {
    const w = this.workers.get(workerId);
    return w !== undefined && Date.now() - w.lastSeen <= w.timeout;
  }

  /** Drops holders of dead workers; parked messages for free slots go back to the front of their queues. */
  reapSlot(name: string): number {
    const s = this.slots.get(name);
    if (!s) return 0;
    for (const m of s.holders) if (!this.alive(m.slice(0, m.indexOf('\t')))) s.holders.delete(m);
    const woken = s.parked.splice(0, Math.max(0, s.max - s.holders.size));
    this.restore(woken);
    if (!s.holders.size && !s.parked.length) this.slots.delete(name);
    return woken.length;
  }

  list(key: string): Deque {
    let l = this.lists.get(key);
    if (!l) this.lists.set(key, (l = new Deque()));
    return l;
  }

  notify(): void {
    for (const w of [...this.waiters]) w();
  }

  restore(held: Held[]): void {
    for (const h of held.reverse()) this.list(h.key).unshift(h.raw);
    if (held.length) this.notify();
  }
}

const states = new Map<string, MemoryState>();

function keyFor(queue: string, priority: number): string {
  const step = priorityStep(priority);
  return step === 0 ? queue : `${queue}\x06\x16${step}`;
}

/** The queue a list key belongs to (the key without its priority suffix). */
function queueOf(key: string): string {
  return key.replace(/\x06\x16[369]$/, '');
}

export class MemoryBroker implements Broker {
  readonly #state: MemoryState;
  readonly #name: string;
  #closed = false;

  constructor(readonly url: string) {
    this.#name = url;
    let state = states.get(url);
    if (!state) states.set(url, (state = new MemoryState()));
    state.refs++;
    this.#state = state;
  }

  /** NOTE: the last handle's close() drops the store: a write after it would vanish, so it is refused. */
  #open(): void {
    if (this.#closed) throw new BrokerError(`Broker ${this.url} is closed`);
  }

  async publish(queue: string, priority: number, raw: string): Promise<void> {
    this.#open();
    this.#state.list(keyFor(queue, priority)).push(raw);
    this.#state.notify();
  }

  consumer(options: ConsumerOptions): BrokerConsumer {
    this.#open();
    return new MemoryConsumer(this.#state, options);
  }

  async revoke(taskIds: string[], expiresMs: number, terminate: boolean): Promise<void> {
    this.#open();
    await this.storeRevoked(taskIds, expiresMs);
    const cmd: ControlCommand = { method: 'revoke', arguments: { task_id: taskIds, terminate, signal: null }, stored: true };
    for (const l of this.#state.control) l(cmd);
  }

  async revoked(): Promise<RevokedEntry[]> {
    return this.#state.revoked.entries();
  }

  async storeRevoked(taskIds: string[], expiresMs: number): Promise<void> {
    this.#open();
    const until = Date.now() + expiresMs;
    for (const id of taskIds) this.#state.revoked.add(id, until);
  }

  async onControl(listener: (cmd: ControlCommand) => void): Promise<() => Promise<void>> {
    this.#state.control.add(listener);
    return async () => {
      this.#state.control.delete(listener);
    };
  }

  async purge(queue: string): Promise<number> {
    let n = 0;
    for (const step of PRIORITY_STEPS) {
      const l = this.#state.lists.get(keyFor(queue, step));
      if (l) n += l.clear();
    }
    return n;
  }

  async queueLength(queue: string): Promise<number> {
    return PRIORITY_STEPS.reduce<number>((n, step) => n + (this.#state.lists.get(keyFor(queue, step))?.length ?? 0), 0);
  }

  async queueNames(): Promise<string[]> {
    const names = new Set<string>();
    for (const [key, list] of this.#state.lists) if (list.length) names.add(queueOf(key));
    return [...names].sort();
  }

  async delayedCount(): Promise<number> {
    return this.#state.delayed.length;
  }

  async deadLetterCount(): Promise<number> {
    return this.#state.dead.length;
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    return this.#state.dead.slice(-limit).reverse();
  }

  async workers(): Promise<WorkerInfo[]> {
    const now = Date.now();
    return [...this.#state.workers.values()]
      .filter((w) => now - w.lastSeen <= w.timeout)
      .map((w) => ({ ...w.info, lastSeen: w.lastSeen }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (--this.#state.refs === 0) states.delete(this.#name);
  }

  async reserveRate(name: string, intervalMs: number): Promise<number> {
    this.#open();
    const now = Date.now();
    const slot = Math.max(this.#state.rates.get(name) ?? 0, now);
    this.#state.rates.set(name, slot + intervalMs);
    return slot;
  }

  async publishOnce(queue: string, priority: number, raw: string, dedup: DedupRequest): Promise<string | null> {
    this.#open();
    const held = this.#state.dedup.get(dedup.key);
    if (held && held.until > Date.now()) return held.taskId;
    // NOTE: keys of tasks no celeriac worker finished (a Python worker ran them) go once their TTL is over.
    if (this.#state.dedup.size >= 10_000) for (const [k, v] of this.#state.dedup) if (v.until <= Date.now()) this.#state.dedup.delete(k);
    this.#state.dedup.set(dedup.key, { taskId: dedup.taskId, until: Date.now() + dedup.ttl });
    await this.publish(queue, priority, raw);
    return null;
  }

  /** Beat in this process: claims are checked and sent in one synchronous step, as the Redis script does. */
  beatStore(): BeatStore {
    const state = this.#state;
    return {
      atomic: true,
      lastRuns: async () => {
        this.#open();
        return new Map(state.beat);
      },
      claim: async (c: BeatClaim): Promise<BeatClaimResult> => {
        this.#open();
        const now = Date.now();
        const cur = state.beat.get(c.entry);
        if (c.last === null) {
          if (cur === undefined) state.beat.set(c.entry, now);
          return { sent: false, last: cur ?? now, now };
        }
        if (cur !== c.last || now < c.due) return { sent: false, last: cur ?? 0, now };
        // NOTE: as in beat-claim-4.lua: the stored run always moves forward, so a claim with the same last run loses.
        const run = Math.max(now, cur + 1);
        state.beat.set(c.entry, run);
        if (c.message) {
          state.list(keyFor(c.message.queue, c.message.priority)).push(c.message.raw);
          state.notify();
        }
        return { sent: true, last: run, now };
      },
    };
  }

  async releaseDedup(key: string, taskId: string): Promise<void> {
    if (this.#state.dedup.get(key)?.taskId === taskId) this.#state.dedup.delete(key);
  }

  async deadLetterRange(start: number, count: number): Promise<DeadLetter[]> {
    return this.#state.dead.slice(start, start + Math.max(0, count));
  }

  async redriveDeadLetter(n: number, taskId?: string): Promise<boolean> {
    this.#open();
    if (taskId) {
      const at = this.#state.dead[n - 1];
      let id: unknown;
      try {
        id = at && (JSON.parse(at.raw) as { headers?: { id?: unknown } }).headers?.id;
      } catch {
        id = undefined;
      }
      if (id !== taskId) return false;
    }
    const [letter] = n >= 1 ? this.#state.dead.splice(n - 1, 1) : [];
    if (!letter) return false;
    this.#resend(letter);
    return true;
  }

  async redriveDeadLetters(max: number): Promise<number> {
    this.#open();
    const letters = this.#state.dead.splice(0, max);
    for (const l of letters) this.#resend(l);
    return letters.length;
  }

  #resend(letter: DeadLetter): void {
    let priority = 0;
    try {
      const p = (JSON.parse(letter.raw) as { properties?: { priority?: unknown } }).properties?.priority;
      if (typeof p === 'number') priority = p;
    } catch {
      // NOTE: not JSON (it was dead-lettered as malformed): it goes back as it is, and is dead-lettered again.
    }
    this.#state.list(keyFor(letter.queue, priority)).push(letter.raw);
    this.#state.notify();
  }

  async purgeDeadLetters(max: number): Promise<number> {
    return this.#state.dead.splice(0, max).length;
  }
}

class MemoryConsumer implements BrokerConsumer {
  readonly #held = new Map<string, Held>();
  #seq = 0;
  #rotation = 0;
  #wake: (() => void) | null = null;
  #wakePending = false;

  constructor(
    readonly state: MemoryState,
    readonly options: ConsumerOptions,
  ) {}

  async start(info: WorkerInfo): Promise<void> {
    this.state.processing.set(this.options.workerId, this.#held);
    this.#beat(info);
  }

  #take(max: number): Delivery[] {
    const out: Delivery[] = [];
    const qs = this.options.queues;
    const r = this.#rotation++ % qs.length;
    const order = [...qs.slice(r), ...qs.slice(0, r)];
    for (const step of PRIORITY_STEPS) {
      for (const queue of order) {
        const key = keyFor(queue, step);
        const list = this.state.lists.get(key);
        while (list && list.length && out.length < max) {
          const raw = list.shift()!;
          const tag = `m${++this.#seq}`;
          this.#held.set(tag, { key, queue, raw });
          out.push({ raw, queue, key, tag });
        }
      }
    }
    return out;
  }

  async fetch(max: number): Promise<Delivery[]> {
    const now = this.#take(max);
    if (now.length) return now;
    if (this.#wakePending) {
      this.#wakePending = false;
      return now;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        this.state.waiters.delete(done);
        this.#wake = null;
        resolve();
      };
      this.#wake = done;
      this.state.waiters.add(done);
    });
    return this.#take(max);
  }

  wake(): void {
    if (this.#wake) this.#wake();
    else this.#wakePending = true;
  }

  async ack(d: Delivery): Promise<void> {
    this.#held.delete(d.tag);
  }

  async requeue(ds: Delivery[]): Promise<void> {
    const back: Held[] = [];
    for (const d of ds) {
      const h = this.#held.get(d.tag);
      if (h && this.#held.delete(d.tag)) back.push(h);
    }
    this.state.restore(back);
  }

  async deadLetter(d: Delivery, reason: string): Promise<void> {
    // NOTE: only while held: a message that recovery already gave back (it runs elsewhere) gets no dead letter.
    if (!this.#held.delete(d.tag)) return;
    this.state.dead.push({ reason, queue: d.queue, raw: d.raw, at: Date.now(), worker: this.options.workerId });
  }

  async defer(d: Delivery, eta: number): Promise<void> {
    const h = this.#held.get(d.tag);
    if (!h) return;
    this.#held.delete(d.tag);
    // NOTE: the delivery's raw, which may differ from what was fetched (a rate-limit slot written into it).
    this.state.delayed.push({ eta, held: { ...h, raw: d.raw } });
    this.state.delayed.sort((a, b) => a.eta - b.eta);
  }

  #beat(info: WorkerInfo): void {
    const now = Date.now();
    const timeout = this.options.heartbeatTimeout;
    const prev = this.state.workers.get(this.options.workerId);
    const since = prev && now - prev.lastSeen <= timeout ? prev.since : now;
    this.state.workers.set(this.options.workerId, { info: { ...info }, lastSeen: now, timeout, since });
  }

  async heartbeat(info: WorkerInfo) {
    this.#beat(info);
    let recovered = 0;
    const now = Date.now();
    // NOTE: as the Redis tick: only a worker that has itself beaten without a gap for a whole timeout takes others
    // for dead. Workers here share one event loop: after a synchronous task blocked it, every heartbeat is old,
    // the blocked worker's is no older than this one's, and it is alive.
    const self = this.state.workers.get(this.options.workerId)!;
    if (now - self.since < this.options.heartbeatTimeout) return { recovered, ...(await this.promoteDue()) };
    for (const [id, w] of this.state.workers) {
      if (now - w.lastSeen <= this.options.heartbeatTimeout) continue;
      const held = this.state.processing.get(id);
      if (held) {
        recovered += held.size;
        this.state.restore([...held.values()]);
        held.clear();
        this.state.processing.delete(id);
      }
      this.state.workers.delete(id);
    }
    return { recovered, ...(await this.promoteDue()) };
  }

  async promoteDue() {
    const now = Date.now();
    let promoted = 0;
    while (this.state.delayed.length && this.state.delayed[0]!.eta <= now) {
      const { held } = this.state.delayed.shift()!;
      this.state.list(held.key).unshift(held.raw);
      promoted++;
    }
    if (promoted) this.state.notify();
    return { promoted, nextDue: this.state.delayed[0]?.eta ?? null };
  }

  async acquireSlot(d: Delivery, slot: SlotRequest): Promise<'acquired' | 'parked' | 'gone'> {
    const held = this.#held.get(d.tag);
    if (!held) return 'gone';
    const member = `${this.options.workerId}\t${d.tag}`;
    let s = this.state.slots.get(slot.name);
    if (!s) this.state.slots.set(slot.name, (s = { max: slot.max, holders: new Set(), parked: [] }));
    s.max = slot.max;
    if (s.holders.has(member)) return 'acquired';
    for (const m of s.holders) if (!this.state.alive(m.slice(0, m.indexOf('\t')))) s.holders.delete(m);
    if (s.holders.size < slot.max) {
      s.holders.add(member);
      return 'acquired';
    }
    this.#held.delete(d.tag);
    s.parked.push(held);
    return 'parked';
  }

  async releaseSlot(d: Delivery, slot: SlotRequest): Promise<void> {
    this.state.slots.get(slot.name)?.holders.delete(`${this.options.workerId}\t${d.tag}`);
    this.state.reapSlot(slot.name);
  }

  async reapSlots(): Promise<number> {
    let woken = 0;
    for (const name of [...this.state.slots.keys()]) woken += this.state.reapSlot(name);
    return woken;
  }

  async stop(): Promise<void> {
    this.wake();
    if (this.#held.size === 0) {
      this.state.processing.delete(this.options.workerId);
      this.state.workers.delete(this.options.workerId);
    }
  }
}
