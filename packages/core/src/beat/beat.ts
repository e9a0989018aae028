// Beat: sends the app's periodic tasks when due. Any number of beats may run against one broker: every beat
// wakes when an entry is due and claims the run in the store (broker's Redis, or memory://); the claim succeeds
// only if the entry's last run is still the one the beat read, and sends the message in the same atomic step.
// So each due run is sent once, and a beat that dies hands over nothing: the others claim the next run themselves.
import type { BeatStore, Broker } from '../broker/broker';
import type { Settings } from '../config';
import { redactUrl } from '../config';
import { ConfigurationError } from '../errors';
import type { Producer } from '../producer';
import { RedisBeatStore } from '../redis/beat-store';
import type { ConnectionPool } from '../redis/connection';
import type { TaskRegistry } from '../registry';
import type { Logger } from '../utils/logger';
import { checkEntry, type BeatEntry, type CheckedEntry } from './entries';
import { describeSchedule, nextDue } from './schedule';

/** What a beat needs of the app (the app is a BeatHost). */
export interface BeatHost {
  readonly name: string;
  readonly settings: Readonly<Settings>;
  /** The entries to send (the `beatSchedule` setting and those added in code); a new object when it changes. */
  readonly beatSchedule: Readonly<Record<string, BeatEntry>>;
  readonly registry: TaskRegistry;
  readonly producer: Producer;
  readonly broker: Broker;
  readonly pool: ConnectionPool;
  readonly logger: Logger;
}

export interface BeatOptions {
  /** Where the beat logs (each send at info). @default the app's logger */
  logger?: Logger;
  /** The longest a beat sleeps between looks at the store (it wakes earlier when an entry is due). @default 5_000 */
  maxInterval?: number;
}

/** One line of `celeriac beat --list`. */
export interface BeatEntryInfo {
  name: string;
  task: string;
  schedule: string;
  /** Last run (epoch ms), null when the entry has not run yet. */
  lastRun: number | null;
  /** Next due time (epoch ms), null when it never is again. */
  nextRun: number | null;
}

const RETRY_MS = 1_000;

interface Built {
  queue: string;
  priority: number;
  raw: string;
  id: string;
}

/**
 * The store where the app's beats claim runs: the broker's own (Redis, memory://: claim and send are one step);
 * on a broker without one (amqp://) the result backend's Redis (the claim is atomic, the send follows it: a beat
 * that dies in between loses that one run); else a start-up error saying what to configure.
 */
export function beatStoreOf(host: BeatHost): BeatStore {
  const own = host.broker.beatStore?.();
  if (own) return own;
  const backend = host.settings.resultBackend;
  if (backend && /^(redis|rediss|sentinel):/.test(backend)) {
    return new RedisBeatStore(host.pool.command(backend), false, () => host.pool.releaseCommand(backend));
  }
  throw new ConfigurationError(
    `beat: the broker ${redactUrl(host.settings.brokerUrl)} cannot keep the beat's schedule state, and there is no Redis result backend to keep it ` +
      `(resultBackend is ${backend ? redactUrl(backend) : 'unset'}). Set resultBackend to a Redis URL (redis://…), or use a redis:// broker.`,
  );
}

export class Beat {
  readonly #host: BeatHost;
  readonly #logger: Logger;
  readonly #maxInterval: number;
  #store: BeatStore | null = null;
  #timer: NodeJS.Timeout | null = null;
  #tick: Promise<void> | null = null;
  #running = false;
  /** The store's clock minus ours, from the last claim (the store decides what is due). */
  #skew = 0;
  #failing = false;
  #checked: { of: object; entries: CheckedEntry[] } | null = null;

  constructor(host: BeatHost, options: BeatOptions = {}) {
    this.#host = host;
    this.#logger = options.logger ?? host.logger;
    this.#maxInterval = options.maxInterval ?? 5_000;
  }

  /** The schedule in force (the `beatSchedule` setting, with `app.addPeriodicTask` entries), checked. */
  entries(): CheckedEntry[] {
    // NOTE: checked again only when the schedule changed (a new object then), so croner's parsed patterns (cached
    // per schedule object) are reused from one look at the store to the next.
    const current = this.#host.beatSchedule;
    if (this.#checked?.of !== current) this.#checked = { of: current, entries: Object.entries(current).map(([name, e]) => checkEntry(name, e)) };
    return this.#checked.entries;
  }

  get running(): boolean {
    return this.#running;
  }

  /**
   * Checks every entry (a bad schedule or arguments that cannot be sent throw, naming the entry), warns about
   * tasks this app does not register, looks at the store once (a broker that cannot be reached rejects), then
   * sends each entry when due until close().
   */
  async start(): Promise<void> {
    if (this.#running) return;
    const entries = this.entries();
    for (const e of entries) {
      try {
        this.#build(e);
      } catch (err) {
        throw new ConfigurationError(`beatSchedule["${e.name}"]: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (!this.#host.registry.get(e.task)) {
        this.#logger.warn(`beat: entry "${e.name}" sends ${e.task}, which this app does not register; a worker elsewhere (e.g. Python) must run it`);
      }
    }
    this.#store = beatStoreOf(this.#host);
    this.#running = true;
    try {
      const wait = await this.#once();
      this.#schedule(wait);
    } catch (err) {
      await this.close();
      throw err;
    }
    this.#logger.info(`beat: started with ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'} (timezone ${this.#host.settings.timezone})`);
  }

  /** Stops: no run is claimed after this resolves. */
  async close(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#tick?.catch(() => undefined);
    const store = this.#store;
    this.#store = null;
    await store?.close?.();
  }

  /** Each entry with its schedule, last run and next run (read from the store). */
  async list(): Promise<BeatEntryInfo[]> {
    const own = this.#store === null;
    const store = this.#store ?? beatStoreOf(this.#host);
    let last: Map<string, number>;
    try {
      last = await store.lastRuns();
    } finally {
      if (own) await store.close?.();
    }
    const tz = this.#host.settings.timezone;
    return this.entries().map((e) => {
      const l = last.get(e.name);
      const lastRun = l !== undefined && l > 0 ? l : null;
      // NOTE: an entry not seen yet is first due one period after a beat first sees it (Celery's rule).
      return { name: e.name, task: e.task, schedule: describeSchedule(e.schedule), lastRun, nextRun: nextDue(e.schedule, lastRun ?? Date.now(), tz) };
    });
  }

  #build(e: CheckedEntry): Built {
    const { queue, priority, expires, timeLimit, ignoreResult } = e.options;
    const producer = this.#host.producer;
    const msg = producer.build(e.task, [...e.args], {
      kwargs: { ...e.kwargs },
      ...(queue !== undefined ? { queue } : {}),
      ...(priority !== undefined ? { priority } : {}),
      ...(expires !== undefined ? { expires } : {}),
      ...(timeLimit !== undefined ? { timeLimit } : {}),
      ...(ignoreResult !== undefined ? { ignoreResult } : {}),
    });
    return { queue: msg.queue, priority: msg.priority, raw: producer.encode(msg), id: msg.id };
  }

  #schedule(ms: number): void {
    if (!this.#running) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#tick = this.#once().then(
        (wait) => {
          if (this.#failing) this.#logger.info('beat: the store is reachable again');
          this.#failing = false;
          this.#schedule(wait);
        },
        (err: unknown) => {
          const text = err instanceof Error ? err.message : String(err);
          if (!this.#failing) this.#logger.error(`beat: ${text} (retrying every ${RETRY_MS} ms)`);
          else this.#logger.debug(`beat: ${text}`);
          this.#failing = true;
          this.#schedule(RETRY_MS);
        },
      );
    }, Math.max(0, ms));
  }

  /** One look at the store: claims every due entry; returns how long to sleep. */
  async #once(): Promise<number> {
    const store = this.#store!;
    const tz = this.#host.settings.timezone;
    const lastRuns = await store.lastRuns();
    let wait = this.#maxInterval;
    for (const e of this.entries()) {
      if (!this.#running) break;
      let last = lastRuns.get(e.name) ?? 0;
      if (!(last > 0)) last = await this.#claim(store, e, null, 0);
      let due = nextDue(e.schedule, last, tz);
      if (due !== null && due <= Date.now() + this.#skew) {
        last = await this.#claim(store, e, last, due);
        due = last > 0 ? nextDue(e.schedule, last, tz) : Date.now();
      }
      if (due !== null) wait = Math.min(wait, due - (Date.now() + this.#skew));
    }
    return Math.max(0, wait);
  }

  /** Claims one run (or records a new entry's first sighting); returns the entry's stored last run. */
  async #claim(store: BeatStore, e: CheckedEntry, last: number | null, due: number): Promise<number> {
    let built: Built | null = null;
    try {
      built = last === null ? null : this.#build(e);
    } catch (err) {
      this.#logger.error(`beat: entry "${e.name}" cannot be sent: ${err instanceof Error ? err.message : String(err)}`);
      return last ?? 0;
    }
    const asked = Date.now();
    const r = await store.claim({ entry: e.name, last, due, ...(built ? { message: { queue: built.queue, priority: built.priority, raw: built.raw } } : {}) });
    this.#skew = r.now - Math.round((asked + Date.now()) / 2);
    if (r.sent && built) {
      if (!store.atomic) await this.#host.broker.publish(built.queue, built.priority, built.raw);
      this.#logger.info(`beat: sending due task ${e.name} (${e.task}) [${built.id}] due ${new Date(due).toISOString()} to ${built.queue}`);
    }
    return r.last;
  }
}
