// One LISTEN connection per backend: every state stored in celery_taskmeta (by celeriac or by Python, through the
// trigger in schema.ts) arrives here and goes to the listeners of its task. Nothing polls. When the connection
// drops it is re-opened with backoff, and the states of every task still listened to are read again, since a
// NOTIFY sent while nobody listened is gone.
import { Client, type ClientConfig, type Notification } from 'pg';
import type { Logger, ResultMeta } from '@celeriac/core';
import { CHANNEL } from './schema';

type Listener = (meta: ResultMeta) => void;

export interface ListenerDeps {
  config: ClientConfig;
  logger: Logger;
  /** The redacted URL, for log lines. */
  url: string;
  /** A payload's state (null when it carries only the task id and the row must be read). */
  decode(payload: Record<string, unknown>): ResultMeta | null;
  /** The current states of these tasks (those with a row). */
  read(taskIds: string[]): Promise<ResultMeta[]>;
  deliver(listener: Listener, meta: ResultMeta): void;
}

const TASK_ID = /^\{"task_id" : "((?:[^"\\]|\\.)*)"/;

export class ResultListener {
  readonly #deps: ListenerDeps;
  readonly #subs = new Map<string, Set<Listener>>();
  /** Per task, the delivery still reading its row: later states wait for it, so each listener sees them in order. */
  readonly #pending = new Map<string, Promise<void>>();
  #client: Client | null = null;
  #ready: Promise<void> | null = null;
  #retry: NodeJS.Timeout | null = null;
  #down = false;
  #closed = false;

  constructor(deps: ListenerDeps) {
    this.#deps = deps;
  }

  /**
   * Adds a listener; resolves once LISTEN is active and every state stored before the call has been heard, so a read
   * made afterwards is at least as new as anything this listener still gets.
   */
  async subscribe(taskId: string, listener: Listener): Promise<() => void> {
    let set = this.#subs.get(taskId);
    if (!set) this.#subs.set(taskId, (set = new Set()));
    set.add(listener);
    const stop = () => {
      set.delete(listener);
      if (set.size === 0 && this.#subs.get(taskId) === set) this.#subs.delete(taskId);
    };
    try {
      await this.#connected();
    } catch (err) {
      stop();
      throw err;
    }
    await this.#heardUpTo(taskId);
    return stop;
  }

  /**
   * Waits until the notifications of everything committed so far have been taken in (and this task's deliveries
   * made): the server sends a session's pending notifications before a query's answer, so one round trip on the
   * LISTEN connection flushes them. Without it, a state stored before a watcher's read could arrive after it, on a
   * busy process, and be shown as a change (STARTED after PROGRESS).
   */
  async #heardUpTo(taskId: string): Promise<void> {
    const client = this.#client;
    // NOTE: a lost connection is handled by the reconnect (which re-reads every listened task), not here.
    // NOTE: LISTEN again (a no-op) rather than SELECT 1: the connection's last query still says what it is for.
    if (client) await client.query(`LISTEN ${CHANNEL}`).catch(() => undefined);
    await this.#pending.get(taskId);
  }

  #connected(): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the backend is closed'));
    if (!this.#ready) {
      this.#ready = this.#connect();
      this.#ready.catch(() => (this.#ready = null));
    }
    return this.#ready;
  }

  async #connect(): Promise<void> {
    const client = new Client(this.#deps.config);
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client, null));
    client.on('notification', (n) => this.#onNotification(n));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.#closed) {
      await client.end().catch(() => undefined);
      throw new Error('the backend is closed');
    }
    this.#client = client;
  }

  #lost(client: Client, err: Error | null): void {
    client.removeAllListeners('end');
    client.on('error', () => undefined);
    if (client !== this.#client || this.#closed) return;
    this.#client = null;
    this.#ready = null;
    void client.end().catch(() => undefined);
    if (!this.#down) this.#deps.logger.error(`lost the LISTEN connection to the result backend ${this.#deps.url}: ${err?.message ?? 'connection ended'}; reconnecting`);
    this.#down = true;
    this.#reconnect(0);
  }

  /** Whether anyone still waits: with nobody listening, the next subscribe() connects instead of a retry loop. */
  #wanted(): boolean {
    if (this.#subs.size > 0) return true;
    this.#down = false;
    return false;
  }

  #reconnect(attempt: number): void {
    if (this.#closed || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      if (this.#closed || !this.#wanted()) return;
      this.#connected().then(
        () => {
          this.#down = false;
          this.#deps.logger.info(`reconnected to the result backend ${this.#deps.url}`);
          void this.#reread();
        },
        (e: Error) => {
          this.#deps.logger.debug(`result backend ${this.#deps.url} still away: ${e.message}`);
          this.#reconnect(attempt + 1);
        },
      );
    }, Math.min(100 * 2 ** attempt, 2_000));
  }

  /** After a reconnect: the states stored while nobody listened. */
  async #reread(): Promise<void> {
    const ids = [...this.#subs.keys()];
    for (let i = 0; i < ids.length; i += 1_000) {
      const chunk = ids.slice(i, i + 1_000);
      try {
        for (const meta of await this.#deps.read(chunk)) this.#dispatch(meta.task_id, () => Promise.resolve(meta));
      } catch (err) {
        // NOTE: the connection went again: the next reconnect reads them.
        this.#deps.logger.debug(`re-reading results after a reconnect failed: ${(err as Error).message}`);
        return;
      }
    }
  }

  #onNotification(n: Notification): void {
    if (n.channel !== CHANNEL || !n.payload) return;
    const id = TASK_ID.exec(n.payload);
    // NOTE: every state of every task arrives here; only those of tasks listened to are parsed.
    if (!id || !this.#subs.has(JSON.parse(`"${id[1]}"`) as string)) return;
    let payload: Record<string, unknown>;
    try {
      payload = JSON.parse(n.payload) as Record<string, unknown>;
    } catch {
      return;
    }
    const taskId = String(payload.task_id);
    // NOTE: a state too large for the payload is read from the row, which may already hold a later state: that one
    // is then heard twice (watch() skips a repeat, get() settles once); none is heard out of order.
    const meta = this.#deps.decode(payload);
    this.#dispatch(taskId, () => (meta ? Promise.resolve(meta) : this.#deps.read([taskId]).then((m) => m[0] ?? null)));
  }

  #dispatch(taskId: string, produce: () => Promise<ResultMeta | null>): void {
    const send = (meta: ResultMeta | null) => {
      if (!meta) return;
      for (const l of this.#subs.get(taskId) ?? []) this.#deps.deliver(l, meta);
    };
    const before = this.#pending.get(taskId);
    const next = (before ?? Promise.resolve())
      .then(produce)
      .then(send, (err: Error) => this.#deps.logger.warn(`could not read the state of task ${taskId} from ${this.#deps.url}: ${err.message}`));
    this.#pending.set(taskId, next);
    void next.then(() => {
      if (this.#pending.get(taskId) === next) this.#pending.delete(taskId);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = null;
    await this.#ready?.catch(() => undefined);
    if (client) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
    }
  }
}
