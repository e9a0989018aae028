// Redis connections: one command client and one subscriber per URL, shared by an app's broker and backend,
// plus blocking clients for workers. Every wait is bounded; reconnection is automatic.
import Redis, { type RedisOptions } from 'ioredis';
import { BrokerError } from '../errors';
import { redactUrl } from '../config';
import { setLongTimeout } from '../utils/timers';
import type { Logger } from '../utils/logger';
import { isSentinelUrl, isStaleMaster, parseSentinelUrl, sentinelOptions, staleMasterReconnect, type TransportOptions } from './sentinel';

/** Where a connection reports what is worth an operator's attention (deduplicated by the pool). */
export type Notice = (message: string) => void;

const NO_PASSWORD_NEEDED = /no password is set|without any password configured/i;
const NO_SUCH_DB = /DB index is out of range/i;
/** ioredis refused to write the command (no connection at that moment): it never reached Redis. */
const NOT_SENT = /Stream isn't writeable/;

/**
 * The size (characters of values) at which a batch of writes starts a new command. ioredis writes each command as
 * one string; past ~128 KB that string and its UTF-8 copy are fresh large allocations (page faults on every write)
 * and cost several µs per message more than writing the same values as commands of ~64 KB (measured: 1,000 LPUSH
 * values of 730 bytes, 3.3–8.3 µs of client CPU each in one command, 1.2–3.7 µs in commands of 100).
 */
export const WRITE_BATCH_CHARS = 64 * 1024;

/** A batch open for writes: add to `items` at once (this turn); `written` settles when it has been sent. */
export interface OpenBatch<B> {
  readonly items: B;
  readonly written: Promise<void>;
}

/**
 * Writes gathered during one turn of the event loop, per key, and sent together right after it (setImmediate: no
 * timer, no wait for I/O; a lone write goes out as soon as the callbacks of this turn have run). A batch that reaches
 * WRITE_BATCH_CHARS is closed: later writes of the turn start the next one, sent after it on the same connection.
 */
export class TurnBatcher<B> {
  readonly #open = new Map<string, OpenBatch<B> & { chars: number }>();

  constructor(
    private readonly create: () => B,
    private readonly send: (key: string, items: B) => Promise<void>,
  ) {}

  /** The open batch of `key` (a new one if none is), counting `chars` more characters into it. */
  join(key: string, chars: number): OpenBatch<B> {
    let open = this.#open.get(key);
    if (!open) {
      const items = this.create();
      const written = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        if (this.#open.get(key)?.items === items) this.#open.delete(key);
        return this.send(key, items);
      });
      open = { items, written, chars: 0 };
      this.#open.set(key, open);
    }
    open.chars += chars;
    if (open.chars >= WRITE_BATCH_CHARS) this.#open.delete(key);
    return open;
  }
}

export interface ConnectionOptions {
  /** How long a command may wait for the connection before failing. */
  timeout: number;
}

function optionsFor(url: string, extra: RedisOptions): { url: string; options: RedisOptions } {
  const options: RedisOptions = {
    lazyConnect: true,
    // NOTE: reconnect forever with a capped backoff; callers bound their own waits with `ready()`.
    retryStrategy: (times) => Math.min(50 * times, 1_000),
    maxRetriesPerRequest: null,
    connectionName: 'celeriac',
    ...extra,
  };
  if (url.startsWith('rediss://')) options.tls = options.tls ?? {};
  return { url, options };
}

/** The server's answers that no reconnect will change, as clear errors; null for anything else. */
function refusal(safeUrl: string, err: Error): BrokerError | null {
  const m = err.message;
  if (/^WRONGPASS|invalid password/i.test(m)) {
    return new BrokerError(`Redis at ${safeUrl} refused the password (${m}); check the password in the URL`, { cause: err });
  }
  if (/^NOAUTH/i.test(m)) {
    return new BrokerError(`Redis at ${safeUrl} requires a password (${m}); give it in the URL: redis://:password@host:port/db`, { cause: err });
  }
  if (NO_SUCH_DB.test(m)) {
    const db = /\/(\d+)(;|$)/.exec(safeUrl)?.[1] ?? '';
    return new BrokerError(`Redis at ${safeUrl} has no database ${db} (${m}); the server's \`databases\` setting is lower`, { cause: err });
  }
  return null;
}

interface Pending {
  at: number;
  what: string;
  reject: (err: Error) => void;
}

/** An ioredis client that remembers its last error and can wait for readiness with a bound. */
export class Connection {
  readonly client: Redis;
  readonly safeUrl: string;
  readonly #sentinel: boolean;
  #lastError: Error | null = null;
  /** A refusal that retrying cannot cure (bad password, no such database): ready() fails with it at once. */
  #refused: BrokerError | null = null;
  #refuse: ((err: BrokerError) => void) | null = null;
  #connecting: Promise<void> | null = null;
  #waiting: Promise<void> | null = null;
  readonly #pending = new Set<Pending>();
  #watchdog: NodeJS.Timeout | null = null;
  /** What the sentinels last answered when none could name the master (sentinel:// only). */
  #sentinelError: Error | null = null;

  constructor(url: string, readonly timeout: number, extra: RedisOptions = {}, notice: Notice = () => undefined, base?: Redis) {
    const { options } = optionsFor(url, extra);
    this.safeUrl = redactUrl(url);
    this.#sentinel = isSentinelUrl(url);
    // NOTE: from a user's client, a copy with its connection details (host, TLS, auth, db, sentinels) and our
    // options (bounded waits, reconnection): the user's client itself is never used nor closed.
    if (base) delete options.tls;
    if (options.sentinels) options.reconnectOnError = staleMasterReconnect(() => (this.client as { stream?: unknown } | undefined)?.stream);
    // NOTE: a sentinel:// URL is not ioredis' to parse: the pool gives its sentinels and master in `extra`.
    this.client = base ? base.duplicate(options) : options.sentinels ? new Redis(options) : new Redis(url, options);
    if (this.#sentinel ? parseSentinelUrl('brokerUrl', url).password : new URL(url).password) this.#quietAuth(notice);
    if (options.sentinels) {
      this.client.on('sentinelError', (err: Error) => (this.#sentinelError = err));
      this.client.on('ready', () => (this.#sentinelError = null));
    }
    this.client.on('error', (err: Error) => {
      this.#lastError = err;
      const refused = refusal(this.safeUrl, err);
      if (!refused) return;
      this.#refused = refused;
      // NOTE: ioredis goes on after a failed SELECT, on database 0: stop before anything is read or written there.
      if (NO_SUCH_DB.test(err.message)) this.client.disconnect();
      this.#refuse?.(refused);
    });
    this.client.on('ready', () => (this.#refused = null));
  }

  /**
   * NOTE: ioredis writes to the console (console.warn) when the URL gives a password the server does not ask for,
   * and goes on. The same answer is turned into success here and reported through celeriac's logger instead.
   */
  #quietAuth(notice: Notice): void {
    const client = this.client as unknown as { auth: (...args: unknown[]) => Promise<unknown> };
    const auth = client.auth.bind(client);
    client.auth = (...args: unknown[]) => {
      const cb = typeof args[args.length - 1] === 'function' ? (args.pop() as (err: Error | null, res?: unknown) => void) : null;
      const p = auth(...args).catch((err: Error) => {
        if (!NO_PASSWORD_NEEDED.test(err.message)) throw err;
        notice(`Redis at ${this.safeUrl} asks for no password, but the URL gives one (${err.message})`);
        return 'OK';
      });
      if (cb) p.then((res) => cb(null, res), (err: Error) => cb(err));
      return p;
    };
  }

  /**
   * Sentinel only: the address of the server this connection talks to now (undefined while it has none, and for
   * plain Redis, whose URL names one server). After a failover, connections that asked different sentinels, or
   * asked at different times, may for a while be on different servers.
   */
  get sentinelServer(): string | undefined {
    if (!this.#sentinel || this.client.status !== 'ready') return undefined;
    const s = (this.client as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
    return s?.remotePort ? `${s.remoteAddress}:${s.remotePort}` : undefined;
  }

  /** Drops the connection and makes a new one (for a sentinel:// URL, asking the sentinels where the master is now). */
  async reconnect(): Promise<void> {
    if (this.client.status === 'ready') {
      const closed = new Promise<void>((r) => this.client.once('close', () => r()));
      this.client.disconnect(true);
      await closed;
    }
    await this.ready();
  }

  /** Resolves when the client can take commands; rejects after `timeout` ms with an error naming the URL. */
  ready(): Promise<void> {
    const c = this.client;
    if (c.status === 'ready') return Promise.resolve();
    if (this.#refused) return Promise.reject(this.#refused);
    if (c.status === 'end') return Promise.reject(new BrokerError(`Connection to ${this.safeUrl} is closed`));
    if (c.status === 'wait' && !this.#connecting) {
      this.#connecting = c.connect().catch(() => undefined).finally(() => (this.#connecting = null));
    }
    // NOTE: every caller waiting at the same time shares one wait (one listener, one timer).
    this.#waiting ??= new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        c.off('ready', onReady);
        c.off('end', onEnd);
        this.#waiting = null;
        this.#refuse = null;
        if (err) reject(err);
        else resolve();
      };
      const timer = setLongTimeout(() => {
        const why = this.#noSuchMaster() ?? (this.#lastError ? ` (${this.#lastError.message})` : '');
        done(new BrokerError(`Redis at ${this.safeUrl} is unreachable: no connection within ${this.timeout} ms${why}`));
      }, this.timeout);
      const onReady = () => done();
      const onEnd = () => done(new BrokerError(`Connection to ${this.safeUrl} is closed`));
      c.once('ready', onReady);
      c.once('end', onEnd);
      this.#refuse = (err) => done(err);
    });
    return this.#waiting;
  }

  /** When the sentinels answered but know no master by the configured name: that, for the "unreachable" error. */
  #noSuchMaster(): string | undefined {
    const m = this.#sentinelError?.message;
    if (!m || !/No such master|invalid reply: null/.test(m)) return undefined;
    return ` (the sentinels know no master named "${(this.client.options as RedisOptions).name}": ${m})`;
  }

  /** Runs `fn` once the client is ready, failing with a clear error if Redis stays away for `timeout` ms. */
  run<T>(what: string, fn: (c: Redis) => Promise<T>, since = Date.now()): Promise<T> {
    if (this.client.status !== 'ready') return this.ready().then(() => this.run(what, fn, since));
    return new Promise<T>((resolve, reject) => {
      const pending: Pending = { at: Date.now(), what, reject };
      this.#pending.add(pending);
      this.#watch();
      fn(this.client).then(
        (value) => {
          this.#pending.delete(pending);
          resolve(value);
        },
        (err: unknown) => {
          this.#pending.delete(pending);
          // NOTE: a demoted master (after a Sentinel failover) refuses writes with READONLY, and a command issued as
          // the failover watch drops the connection is never written: neither ran. Once the client has reconnected
          // to the master the sentinels name now, the same command is sent again.
          if (this.#sentinel && err instanceof Error && (isStaleMaster(err) || NOT_SENT.test(err.message)) && Date.now() - since < this.timeout) {
            const retry = () => this.run(what, fn, since).then(resolve, reject);
            setTimeout(retry, 50);
            return;
          }
          reject(err instanceof BrokerError ? err : new BrokerError(`Redis at ${this.safeUrl} failed ${what}: ${(err as Error).message}`, { cause: err }));
        },
      );
    });
  }

  /**
   * NOTE: one watchdog per connection instead of a timer per command (the hot path sends thousands a second):
   * it fails commands that have waited longer than `timeout`, e.g. while Redis is stalled or reconnecting.
   */
  #watch(): void {
    if (this.#watchdog) return;
    this.#watchdog = setInterval(() => {
      const limit = Date.now() - this.timeout;
      for (const p of this.#pending) {
        if (p.at > limit) break;
        this.#pending.delete(p);
        p.reject(new BrokerError(`Redis at ${this.safeUrl} did not answer ${p.what} within ${this.timeout} ms`));
      }
      if (this.#pending.size === 0 && this.#watchdog) {
        clearInterval(this.#watchdog);
        this.#watchdog = null;
      }
    }, Math.max(10, Math.min(250, Math.floor(this.timeout / 4))));
    this.#watchdog.unref();
  }

  async close(): Promise<void> {
    if (this.#watchdog) clearInterval(this.#watchdog);
    this.#watchdog = null;
    if (this.client.status !== 'end') {
      if (this.client.status === 'ready') await this.client.quit().catch(() => this.client.disconnect());
      else this.client.disconnect();
    }
    // NOTE: ioredis' QUIT leaves the sentinel watch (failoverDetector: a connection to each sentinel) open, and
    // with it the process; disconnect() after the end closes it.
    if (this.#sentinel) this.client.disconnect();
  }
}

type Listener = (message: string, channel: string) => void;

/** One subscriber connection: channel → listeners, resubscribed after a reconnect. */
export class Subscriber {
  readonly conn: Connection;
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #pending = new Map<string, Promise<unknown>>();

  readonly #reconnectListeners = new Set<() => void>();

  constructor(url: string, timeout: number, notice?: Notice, base?: Redis, extra: RedisOptions = {}) {
    this.conn = new Connection(url, timeout, { ...extra, autoResubscribe: true, connectionName: 'celeriac-sub' }, notice, base);
    this.conn.client.on('message', (channel: string, message: string) => {
      for (const l of this.#listeners.get(channel) ?? []) l(message, channel);
    });
    let connectedBefore = false;
    this.conn.client.on('ready', () => {
      if (connectedBefore) for (const l of this.#reconnectListeners) l();
      connectedBefore = true;
    });
  }

  /** Called after each reconnect (subscriptions restored): what was published meanwhile was missed. */
  onReconnect(listener: () => void): () => void {
    this.#reconnectListeners.add(listener);
    return () => this.#reconnectListeners.delete(listener);
  }

  async subscribe(channel: string, listener: Listener): Promise<() => void> {
    let set = this.#listeners.get(channel);
    if (!set) {
      this.#listeners.set(channel, (set = new Set()));
      const p = this.conn.run(`SUBSCRIBE ${channel}`, (c) => c.subscribe(channel));
      this.#pending.set(channel, p);
      p.finally(() => this.#pending.delete(channel)).catch(() => undefined);
    }
    set.add(listener);
    try {
      await this.#pending.get(channel);
    } catch (err) {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(channel);
      throw err;
    }
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.#listeners.get(channel) === set) {
        this.#listeners.delete(channel);
        if (this.conn.client.status === 'ready') this.conn.client.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  close(): Promise<void> {
    this.#listeners.clear();
    return this.conn.close();
  }
}

/** Shares connections by URL within one app; closes them when the last user releases them. */
export class ConnectionPool {
  readonly #commands = new Map<string, { conn: Connection; refs: number }>();
  readonly #subscribers = new Map<string, { sub: Subscriber; refs: number }>();

  readonly #noticed = new Set<string>();
  readonly #notice: Notice;
  readonly #bases = new Map<string, Redis>();
  /** Per sentinel:// URL: its sentinels and master, for every connection made to it. */
  readonly #sentinels = new Map<string, RedisOptions>();

  constructor(
    readonly timeout: number,
    logger?: Logger,
  ) {
    // NOTE: every connection to a URL meets the same server: say it once per pool, not once per connection.
    this.#notice = (message) => {
      if (this.#noticed.has(message)) return;
      this.#noticed.add(message);
      logger?.warn(message);
    };
  }

  /** Connections to `url` are made as copies of this client (`client.duplicate()`), which stays the user's. */
  adopt(url: string, client: Redis): void {
    this.#bases.set(url, client);
  }

  /**
   * Names the master (and the sentinels' credentials) of a sentinel:// URL; throws a ConfigurationError naming
   * `setting` and `optionsName` when the URL is malformed or no master is named.
   */
  useSentinel(url: string, options: TransportOptions, setting = 'brokerUrl', optionsName = 'brokerTransportOptions'): void {
    if (this.#bases.has(url)) return; // an adopted client names its own master
    this.#sentinels.set(url, sentinelOptions(setting, url, options, optionsName));
  }

  /**
   * What every connection to `url` adds to its own options (a sentinel URL's sentinels and master). `watch`:
   * also listen to the sentinels' +switch-master, so a failover moves the connection at once (long-lived
   * connections only: each watch holds a connection to every sentinel).
   */
  #extra(url: string, own: RedisOptions, watch = false): RedisOptions {
    // NOTE: a copy of an adopted client carries its sentinels and master already.
    if (!isSentinelUrl(url) || this.#bases.has(url)) return own;
    const s = this.#sentinels.get(url) ?? sentinelOptions('brokerUrl', url, {}, 'brokerTransportOptions');
    return { ...s, ...own, failoverDetector: watch };
  }

  command(url: string): Connection {
    let e = this.#commands.get(url);
    if (!e) this.#commands.set(url, (e = { conn: new Connection(url, this.timeout, this.#extra(url, { enableOfflineQueue: false }, true), this.#notice, this.#bases.get(url)), refs: 0 }));
    e.refs++;
    return e.conn;
  }

  subscriber(url: string): Subscriber {
    let e = this.#subscribers.get(url);
    if (!e) this.#subscribers.set(url, (e = { sub: new Subscriber(url, this.timeout, this.#notice, this.#bases.get(url), this.#extra(url, {}, true)), refs: 0 }));
    e.refs++;
    return e.sub;
  }

  /** A connection of its own, for blocking reads. */
  blocking(url: string, name: string): Connection {
    // NOTE: no ready check (an INFO after connecting): a worker that stops while it is in flight makes ioredis
    // disconnect twice, and the second leaves a 2 s timer that keeps the process alive after close. A blocking
    // read on a Redis still loading just fails, and its caller already retries. disconnectTimeout 0: a blocked
    // peek has nothing to flush, and ioredis' default keeps a 2 s timer (and the process) alive after disconnect().
    return new Connection(url, this.timeout, this.#extra(url, { connectionName: name, enableReadyCheck: false, disconnectTimeout: 0 }), this.#notice, this.#bases.get(url));
  }

  /**
   * The options of a connection to `url` made in another thread (a worker's heartbeat thread), as plain data;
   * null for a URL served by an adopted client, whose connection details cannot leave this thread.
   */
  threadOptions(url: string): Record<string, unknown> | null {
    if (this.#bases.has(url)) return null;
    const { options } = optionsFor(url, this.#extra(url, { enableReadyCheck: false }));
    const plain: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(options)) if (typeof v !== 'function') plain[k] = v;
    return plain;
  }

  async releaseCommand(url: string): Promise<void> {
    const c = this.#commands.get(url);
    if (c && --c.refs === 0) {
      this.#commands.delete(url);
      await c.conn.close();
    }
  }

  async releaseSubscriber(url: string): Promise<void> {
    const s = this.#subscribers.get(url);
    if (s && --s.refs === 0) {
      this.#subscribers.delete(url);
      await s.sub.close();
    }
  }
}
