// The broker port: what the app and the worker need from a message transport.
import type { MonitorTransport, ReplyTo } from './monitor';
import type { ResultBackend } from '../backend/backend';
import type { ResultMeta } from '../protocol/result-meta';

/** One message taken from a queue and held for this worker until it is acked or given back. */
export interface Delivery {
  /** The raw queue entry (kombu envelope JSON). */
  readonly raw: string;
  /** The queue name (without the priority suffix). */
  readonly queue: string;
  /** The list it came from (the queue, or a priority sub-list). */
  readonly key: string;
  /** The broker's handle for ack / give-back. */
  readonly tag: string;
}

/** What a worker tells the others about itself (listed by `celeriac status`). */
export interface WorkerInfo {
  id: string;
  hostname: string;
  pid: number;
  queues: string[];
  concurrency: number;
  startedAt: number;
  active: number;
  processed: number;
  /** Last heartbeat, epoch ms (filled in when read back). */
  lastSeen?: number;
}

/** One message to publish: its queue, priority and raw queue entry. */
export interface OutgoingMessage {
  queue: string;
  priority: number;
  raw: string;
}

/** A queue entry that could not be run, kept with the reason. */
export interface DeadLetter {
  reason: string;
  queue: string;
  raw: string;
  at: number;
  worker: string;
}

/** A stored revocation: the task id, and until when (epoch ms) workers skip it. */
export interface RevokedEntry {
  id: string;
  until: number;
}

/** A control command broadcast to every worker (Celery's pidbox). */
export interface ControlCommand {
  method: string;
  arguments: Record<string, unknown>;
  /** A revoke that its sender already stored in the broker's revoked set (one sent by celeriac's `revoke()`). */
  stored?: boolean;
  /** Only these workers (by hostname) act on it; every worker when absent. */
  destination?: string[];
  /** Where the answer goes, when the sender waits for one (Celery's `reply_to` and `ticket`). */
  replyTo?: ReplyTo;
  ticket?: string;
}

export interface ConsumerOptions {
  /** Queues in the order the worker prefers them. */
  queues: string[];
  workerId: string;
  /** After this long without a heartbeat a worker's messages are recovered by the others. */
  heartbeatTimeout: number;
  /** The worker's window (concurrency × prefetch multiplier), for brokers that push messages (AMQP's prefetch). */
  prefetch?: number;
}

export interface BrokerConsumer {
  /** Registers the worker (first heartbeat) and gets ready to fetch. */
  start(info: WorkerInfo): Promise<void>;
  /** Takes up to `max` messages, waiting (without polling) until at least one is there or `wake()` is called. */
  fetch(max: number): Promise<Delivery[]>;
  /** Ends a pending `fetch()` early (it resolves with whatever it has, possibly nothing). */
  wake(): void;
  /** Removes a finished message for good. */
  ack(d: Delivery): Promise<void>;
  /**
   * When the result backend shares this consumer's connection (Redis, one URL): a function that stores a task's
   * final state and acks its message in one step. Null (or absent) when it cannot: the worker stores, then acks.
   */
  ackWithResult?(backend: ResultBackend): ((d: Delivery, meta: ResultMeta, expiresMs: number) => Promise<void>) | null;
  /** Gives messages back to the front of their queues (not run, or interrupted). */
  requeue(ds: Delivery[]): Promise<void>;
  /** Moves a message to the dead-letter list with the reason. */
  deadLetter(d: Delivery, reason: string): Promise<void>;
  /** Parks a message until `eta` (epoch ms); it returns to its queue when due. */
  defer(d: Delivery, eta: number): Promise<void>;
  /** Says "alive", recovers the messages of dead workers and moves due deferred ones. Returns when the next deferred one is due. */
  heartbeat(info: WorkerInfo): Promise<{ recovered: number; promoted: number; nextDue: number | null }>;
  /** Moves due deferred messages now. */
  promoteDue(): Promise<{ promoted: number; nextDue: number | null }>;
  /** Deregisters the worker. Messages still held stay recoverable by others. */
  stop(): Promise<void>;
  /**
   * Takes a per-key concurrency slot for a held message: 'acquired', or 'parked' when all `max` are taken
   * (the message leaves this worker and waits in the broker until a slot is given back), or 'gone' when the
   * message is no longer held here. Slots of a worker whose heartbeat stopped are given back.
   */
  acquireSlot?(d: Delivery, slot: SlotRequest): Promise<'acquired' | 'parked' | 'gone'>;
  /** Gives a slot back; a message parked for it goes back to the front of its queue. */
  releaseSlot?(d: Delivery, slot: SlotRequest): Promise<void>;
  /** Gives back the slots of dead workers and wakes messages parked for free slots (run with the heartbeat). */
  reapSlots?(): Promise<number>;
  /**
   * Where a thread of its own may mark this worker alive while the main event loop is blocked (liveness.ts);
   * null when the broker cannot be reached from another thread. Brokers without it beat from the main loop only.
   */
  livenessTarget?(): LivenessTarget | null;
}

/**
 * How a heartbeat thread marks a worker alive, as data a worker_thread can receive: a Redis script it runs on a
 * connection of its own. (memory:// needs none: its workers share the process, and the event loop, that it lives in.)
 */
export type LivenessTarget = { kind: 'redis'; url: string; options: Record<string, unknown>; lua: string; workers: string; info: string; member: string; ttl: number };

/** A per-key concurrency slot: at most `max` messages with this name run at once across all workers. */
export interface SlotRequest {
  /** `<task>#<key>` */
  name: string;
  max: number;
}

/** How a send is deduplicated: while `key` is held by a task (at most `ttl` ms), nothing else is sent with it. */
export interface DedupRequest {
  key: string;
  taskId: string;
  ttl: number;
}

/** A beat's claim of one run of a periodic entry (see beat/beat.ts). */
export interface BeatClaim {
  /** The entry's name. */
  entry: string;
  /**
   * The last run the claimer read (epoch ms), which the claim requires to be still the stored one: of several beats
   * that read the same last run, one claim succeeds. null: the entry has none yet; the claim records the store's
   * time as its last run (if still none) and sends nothing (Celery: a new entry is first due one period later).
   */
  last: number | null;
  /** When the run is due (from `last`); the claim fails while the store's clock is before it. */
  due: number;
  /** The message to send with the claim (atomic stores send it in the same step). */
  message?: OutgoingMessage;
}

export interface BeatClaimResult {
  /** Whether this claim won the run (an atomic store has also sent its message). */
  sent: boolean;
  /** The last run stored after the call (epoch ms). */
  last: number;
  /** The store's clock (epoch ms) at the call. */
  now: number;
}

/** Where beats keep each entry's last run and claim runs, so that any number of beats send each run once. */
export interface BeatStore {
  /** Whether claim() sends the claim's message in the same atomic step (else the claimer sends it after winning). */
  readonly atomic: boolean;
  /** Every entry's last run (epoch ms), by entry name. */
  lastRuns(): Promise<Map<string, number>>;
  claim(claim: BeatClaim): Promise<BeatClaimResult>;
  /** Releases what the store holds of its own (not the broker's connection). */
  close?(): Promise<void>;
}

export interface Broker {
  /** The URL, password hidden. */
  readonly url: string;
  /** Puts a raw message on `queue` at the given priority (0–9). */
  publish(queue: string, priority: number, raw: string): Promise<void>;
  /** Puts many messages, in order, in as few round trips as the transport allows (optional: else one publish each). */
  publishMany?(entries: readonly OutgoingMessage[]): Promise<void>;
  consumer(options: ConsumerOptions): BrokerConsumer;
  /** Remembers these ids as revoked for `expiresMs` (at most REVOKES_MAX ids, the oldest dropped) and tells every worker now. */
  revoke(taskIds: string[], expiresMs: number, terminate: boolean): Promise<void>;
  /** The revocations not yet expired, each with its expiry (epoch ms), in the order they expire or were made. */
  revoked(): Promise<RevokedEntry[]>;
  /**
   * Stores revocations heard on the control channel that their sender did not store (a revoke from Python),
   * so that workers started later still skip those tasks; broadcasts nothing.
   */
  storeRevoked(taskIds: string[], expiresMs: number): Promise<void>;
  /** Listens to control broadcasts (revoke from Node or from Python). Resolves once listening. */
  onControl(listener: (cmd: ControlCommand) => void): Promise<() => Promise<void>>;
  /** Deletes every waiting message of a queue (all priorities); returns how many. */
  purge(queue: string): Promise<number>;
  /** Messages waiting in a queue (all priorities). */
  queueLength(queue: string): Promise<number>;
  /** Names of the queues that hold waiting messages (any priority), sorted. Delayed / held messages are not counted. */
  queueNames(): Promise<string[]>;
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  /** How many messages wait for their countdown / eta (the delayed set). */
  delayedCount(): Promise<number>;
  /** How many entries the dead-letter list holds. */
  deadLetterCount(): Promise<number>;
  /** Live workers (heartbeat within the timeout). */
  workers(): Promise<WorkerInfo[]>;
  close(): Promise<void>;
  /** Reserves the next slot (epoch ms) of a rate shared by every worker: one every `intervalMs` ms. */
  reserveRate?(name: string, intervalMs: number): Promise<number>;
  /** Publishes unless a task holds `dedup.key`: returns that task's id (nothing sent), or null when sent. */
  publishOnce?(queue: string, priority: number, raw: string, dedup: DedupRequest): Promise<string | null>;
  /** Lets go of a dedup key, only if `taskId` still holds it. */
  releaseDedup?(key: string, taskId: string): Promise<void>;
  /** Dead letters oldest first, from 0-based `start`. */
  deadLetterRange?(start: number, count: number): Promise<DeadLetter[]>;
  /**
   * Sends the dead letter at 1-based position `n` (oldest first) back to its queue, in one step. With `taskId`,
   * only if that letter's message is that task's (false otherwise: the list changed since it was read).
   */
  redriveDeadLetter?(n: number, taskId?: string): Promise<boolean>;
  /** Sends up to `max` of the oldest dead letters back to their queues, each moved in one step; returns how many. */
  redriveDeadLetters?(max: number): Promise<number>;
  /** Deletes up to `max` of the oldest dead letters; returns how many. */
  purgeDeadLetters?(max: number): Promise<number>;
  /** The store of periodic runs (beat), where the broker can claim and send in one atomic step. */
  beatStore?(): BeatStore;
  /** Celery's events, remote control replies and the event history (absent: the transport carries none yet). */
  monitor?(): MonitorTransport;
}

/** kombu's Redis priority steps: priority p goes to the largest step ≤ p. */
export const PRIORITY_STEPS = [0, 3, 6, 9] as const;

export function priorityStep(priority: number): number {
  const p = Math.max(0, Math.min(9, Math.trunc(priority)));
  let step = 0;
  for (const s of PRIORITY_STEPS) if (s <= p) step = s;
  return step;
}
