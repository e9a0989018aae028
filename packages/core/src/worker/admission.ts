// What a fetched task waits for before it may run: its rate-limit slot (per worker, `rateLimit`, and/or shared
// by all workers, `globalRateLimit`) and its per-key concurrency slot (`concurrencyKey` + `maxPerKey`).
// Nothing here polls: a rate slot is reserved once and the task waits for it (in memory when it is near, in the
// broker's delayed set otherwise); a task without a free per-key slot is parked in the broker and sent back to
// its queue when a slot is given back.
import type { BrokerConsumer, Delivery, SlotRequest } from '../broker/broker';
import { ConfigurationError } from '../errors';
import { LocalBucket, rateInterval } from '../limits/rate';
import { encodeMessage } from '../protocol/message';
import type { TaskDefinition } from '../task';
import type { WorkerContext } from './context';
import type { Job } from './request';

/** What to do with a job: run it now, hold it until `at` (epoch ms), dead-letter it, or nothing (it left this worker). */
export type Admit = { kind: 'run' } | { kind: 'hold'; at: number } | { kind: 'dead'; reason: string } | { kind: 'gone' };

interface Limits {
  local: LocalBucket | null;
  global: number | null;
  slots: boolean;
}

export interface AdmissionHost {
  readonly app: WorkerContext;
  readonly consumer: BrokerConsumer;
  durable<T>(what: string, fn: () => Promise<T>): Promise<T>;
  schedulePromote(at: number): void;
}

export class Admission {
  readonly #limits = new Map<string, Limits | null>();

  /**
   * @param holdMs a slot due within this many ms is waited for in memory; a later one in the broker's delayed set.
   */
  constructor(
    readonly host: AdmissionHost,
    readonly holdMs: number,
  ) {}

  /** Refuses, at start, limits this broker cannot keep (a transport without the shared operations). */
  check(): void {
    const { broker } = this.host.app;
    for (const name of this.host.app.registry.names()) {
      const l = this.#of(this.host.app.registry.get(name)!);
      if (l?.global !== null && l?.global !== undefined && !broker.reserveRate) {
        throw new ConfigurationError(`Task "${name}" has a globalRateLimit, which the broker ${broker.url} cannot keep (use redis:// or memory://)`);
      }
      if (l?.slots && !this.host.consumer.acquireSlot) {
        throw new ConfigurationError(`Task "${name}" has a concurrencyKey, which the broker ${broker.url} cannot keep (use redis:// or memory://)`);
      }
    }
  }

  /** Whether any registered task has a per-key limit (the heartbeat then gives back dead workers' slots). */
  usesSlots(): boolean {
    return this.host.app.registry.names().some((n) => this.#of(this.host.app.registry.get(n)!)?.slots);
  }

  /** The limits of a task, or null when it has none (then `admit` need not be called). */
  #of(def: TaskDefinition): Limits | null {
    let l = this.#limits.get(def.name);
    if (l === undefined) {
      const ann = this.host.app.settings.taskAnnotations;
      const pick = (k: 'rateLimit' | 'globalRateLimit') => def.options[k] ?? ann[def.name]?.[k] ?? ann['*']?.[k];
      const local = pick('rateLimit');
      const global = pick('globalRateLimit');
      const slots = typeof def.options.concurrencyKey === 'function';
      l =
        local === undefined && global === undefined && !slots
          ? null
          : {
              local: local === undefined ? null : new LocalBucket(rateInterval(`${def.name} rateLimit`, local)),
              global: global === undefined ? null : rateInterval(`${def.name} globalRateLimit`, global),
              slots,
            };
      this.#limits.set(def.name, l);
    }
    return l;
  }

  needed(def: TaskDefinition): boolean {
    return this.#of(def) !== null;
  }

  async admit(job: Job): Promise<Admit> {
    const limits = this.#of(job.def)!;
    if (!job.rateChecked && (limits.local || limits.global !== null)) {
      job.rateChecked = true;
      const at = await this.#rateSlot(job, limits);
      const wait = at - Date.now();
      if (wait > this.holdMs) return this.#deferTo(job, at);
      if (wait > 1) return { kind: 'hold', at };
    }
    if (!limits.slots) return { kind: 'run' };
    let key: unknown;
    try {
      key = job.def.options.concurrencyKey!(job.msg.args, job.msg.kwargs);
    } catch (err) {
      return { kind: 'dead', reason: `concurrencyKey of task ${job.def.name} threw: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (key === null || key === undefined) return { kind: 'run' };
    const slot: SlotRequest = { name: `${job.def.name}#${String(key)}`, max: job.def.options.maxPerKey ?? 1 };
    const got = await this.host.durable('acquire slot', () => this.host.consumer.acquireSlot!(job.delivery, slot));
    if (got !== 'acquired') return { kind: 'gone' };
    job.slot = slot;
    return { kind: 'run' };
  }

  /** After a job ran: its per-key slot goes back, and its dedup key is let go unless the task goes on (a retry). */
  async finished(job: Job): Promise<void> {
    await this.givenBack(job);
    const key = job.msg.dedup;
    const { broker } = this.host.app;
    if (key !== undefined && !job.handedOn && broker.releaseDedup) {
      await this.host.durable('release dedup key', () => broker.releaseDedup!(key, job.msg.id));
    }
  }

  /** A job given back without running (shutdown): its per-key slot goes back; its dedup key stays held. */
  async givenBack(job: Job): Promise<void> {
    const slot = job.slot;
    if (!slot) return;
    job.slot = null;
    await this.host.durable('release slot', () => this.host.consumer.releaseSlot!(job.delivery, slot));
  }

  async #rateSlot(job: Job, limits: Limits): Promise<number> {
    const { msg } = job;
    // NOTE: reserved when this message was first fetched, and it waited for it in the delayed set. A retry keeps
    // the header but has an eta of its own, so it reserves again.
    if (msg.rateSlot !== undefined && msg.eta === msg.rateSlot) return msg.rateSlot;
    let at = limits.local ? limits.local.reserve() : 0;
    if (limits.global !== null) {
      const interval = limits.global;
      at = Math.max(at, await this.host.durable('rate limit', () => this.host.app.broker.reserveRate!(job.def.name, interval)));
    }
    return at;
  }

  /** Parks the message in the delayed set until its slot, marked as holding it. */
  async #deferTo(job: Job, at: number): Promise<Admit> {
    const raw = encodeMessage({ ...job.msg, eta: at, rateSlot: at });
    const d: Delivery = { ...job.delivery, raw };
    await this.host.durable('defer', () => this.host.consumer.defer(d, at));
    this.host.schedulePromote(at);
    return { kind: 'gone' };
  }
}
