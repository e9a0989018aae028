// The monitoring port: Celery's task and worker events (the `celeryev` fanout), remote control replies (the
// pidbox), and celeriac's bounded event history. A broker that carries them returns one from `monitor()`.

/** One event in Celery's format: `type` (`task-succeeded`, `worker-heartbeat`…), `hostname`, `timestamp` (seconds). */
export interface CeleryEvent {
  type: string;
  hostname: string;
  /** Unix time in seconds (a float), as Celery sends it. */
  timestamp: number;
  [field: string]: unknown;
}

/**
 * A field only the history keeps (never published): a task's call as JSON `{ args, kwargs }`, on `task-received`
 * events whose arguments encode to at most HISTORY_CALL_MAX bytes, so a dashboard can retry the exact call.
 */
export const HISTORY_CALL = 'celeriac_call';
export const HISTORY_CALL_MAX = 65_536;

/** An event read back from the history, with its position (a stream id: later ids sort after earlier ones). */
export interface StoredEvent {
  id: string;
  event: CeleryEvent;
}

/** Where a remote control reply goes (Celery's `reply_to`). */
export interface ReplyTo {
  exchange: string;
  routingKey: string;
}

/** One worker's answer to a broadcast: its hostname and what it replied. */
export interface ControlReply {
  hostname: string;
  reply: unknown;
}

export interface BroadcastOptions {
  /** Only these workers answer (Celery's `destination`); all when omitted. */
  destination?: string[];
  /** How long replies are collected, ms. */
  timeout: number;
  /** Stop as soon as this many replies arrived. */
  limit?: number;
}

export interface MonitorTransport {
  /** Publishes events on the `celeryev` fanout and, when `historyMax` > 0, appends the task events to the capped history. */
  publishEvents(events: readonly CeleryEvent[], historyMax: number): Promise<void>;
  /** Sends a worker's reply to a control command back to the asking client. */
  reply(to: ReplyTo, ticket: string, hostname: string, payload: unknown): Promise<void>;
  /** Broadcasts a control command with a reply queue and collects the workers' replies until the timeout. */
  broadcast(method: string, args: Record<string, unknown>, options: BroadcastOptions): Promise<ControlReply[]>;
  /** The newest `count` events of the history, oldest first (`before`: only those older than that id). */
  history(count: number, before?: string): Promise<StoredEvent[]>;
  /** Waits up to `blockMs` for events newer than `after` (`'$'`: from now) and returns them, oldest first. */
  readHistory(after: string, blockMs: number, count?: number): Promise<StoredEvent[]>;
  /**
   * Listens to the `worker-*` events (online, heartbeat, offline) of every worker on the broker, celeriac or Python
   * Celery. Resolves once listening; the function it returns stops.
   */
  onWorkerEvents(listener: (event: CeleryEvent) => void): Promise<() => Promise<void>>;
  /** Lets go of the connections this monitor opened for itself (blocking reads). */
  close(): Promise<void>;
}
