// Redis Sentinel: Celery's URL form `sentinel://[:password@]h1:26379[/db];sentinel://h2:26379;…` and the
// transport options that name the master (Celery's `broker_transport_options = {'master_name': …}`).
// As in kombu and Celery's SentinelBackend, the password, user and database of the first address are the
// master's; the sentinels themselves are asked without a password unless `sentinelPassword` is set.
import type { RedisOptions } from 'ioredis';
import { ConfigurationError } from '../errors';
import { schemeOf } from '../transport-schemes';

/** Sentinel's own port, kombu's default for `sentinel://` addresses without one. */
export const SENTINEL_PORT = 26379;

/**
 * `brokerTransportOptions` / `resultBackendTransportOptions` (Celery's `broker_transport_options`,
 * `result_backend_transport_options`): what a `sentinel://` URL needs besides its addresses.
 * @publicApi
 */
export interface TransportOptions {
  /** The master's name in the sentinels' configuration (`sentinel monitor <name> …`); required for sentinel://. */
  masterName?: string;
  /** Password of the sentinels themselves (`requirepass` in sentinel.conf; Celery's `sentinel_kwargs.password`). */
  sentinelPassword?: string;
  /** ACL user of the sentinels themselves (Celery's `sentinel_kwargs.username`). */
  sentinelUsername?: string;
}

const OPTION_NAMES: readonly (keyof TransportOptions)[] = ['masterName', 'sentinelPassword', 'sentinelUsername'];

export interface SentinelAddress {
  sentinels: { host: string; port: number }[];
  username?: string;
  password?: string;
  db: number;
}

export const isSentinelUrl = (url: string): boolean => schemeOf(url) === 'sentinel:';

/** Each `;`-separated part of a sentinel URL with its password hidden (no URL parse: the parts may be malformed). */
export function redactSentinelUrl(url: string): string {
  return url
    .split(';')
    .map((part) => part.replace(/\/\/([^:@/]*):([^@/]*)@/, '//$1:***@'))
    .join(';');
}

/** Parses `sentinel://…;sentinel://…`; a malformed part is a ConfigurationError naming it (password hidden). */
export function parseSentinelUrl(setting: string, url: string): SentinelAddress {
  const parts = url.split(';').map((p) => p.trim()).filter(Boolean);
  const bad = (part: string, why: string) =>
    new ConfigurationError(
      `\`${setting}\` (${redactSentinelUrl(url)}): ${why} in "${redactSentinelUrl(part)}"; a Sentinel URL is sentinel://[:password@]host:port[/db], several joined by ";"`,
    );
  const out: SentinelAddress = { sentinels: [], db: 0 };
  parts.forEach((part, i) => {
    let u: URL;
    try {
      u = new URL(part);
    } catch {
      throw bad(part, 'not a URL');
    }
    if (u.protocol !== 'sentinel:') throw bad(part, `the scheme "${u.protocol}" instead of sentinel:`);
    if (!u.hostname) throw bad(part, 'no host');
    const path = u.pathname;
    if (!(path === '' || path === '/' || /^\/\d{1,9}$/.test(path))) throw bad(part, `the database "${path.slice(1)}" (not a number)`);
    out.sentinels.push({ host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: u.port ? Number(u.port) : SENTINEL_PORT });
    if (i > 0) return;
    if (u.username) out.username = decodeURIComponent(u.username);
    if (u.password) out.password = decodeURIComponent(u.password);
    if (path.length > 1) out.db = Number(path.slice(1));
  });
  if (!out.sentinels.length) throw bad(url, 'no address');
  return out;
}

/** Checks `brokerTransportOptions` / `resultBackendTransportOptions`; unknown keys are errors with a hint. */
export function checkTransportOptions(name: string, value: unknown, didYouMean: (n: string, c: readonly string[]) => string | undefined): TransportOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigurationError(`Expected \`${name}\` to be an object such as { masterName: 'mymaster' }, got \`${String(value)}\` (${value === null ? 'null' : typeof value})`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (!OPTION_NAMES.includes(key as keyof TransportOptions)) {
      const hint = didYouMean(key, OPTION_NAMES);
      throw new ConfigurationError(`Unknown option \`${name}.${key}\`${hint ? `. Did you mean \`${hint}\`?` : ''} (known: ${OPTION_NAMES.join(', ')})`);
    }
    if (v !== undefined && (typeof v !== 'string' || v === '')) {
      throw new ConfigurationError(`Expected \`${name}.${key}\` to be a non-empty string, got \`${String(v)}\` (${v === null ? 'null' : typeof v})`);
    }
  }
  return value as TransportOptions;
}

/** Is this error Redis telling us we talk to a replica (or a master that lost its replicas)? A reconnect asks the sentinels again. */
export const isStaleMaster = (err: Error): boolean => /^(READONLY|NOREPLICAS|MASTERDOWN)/.test(err.message);

/**
 * A connection's `reconnectOnError`: a refusal from a demoted master reconnects (asking the sentinels again), once
 * per socket. NOTE: ioredis adds a 'close' listener to the socket for each reconnect asked for, and during a failover
 * every command in flight is refused; those refused after the first are resent by the caller (Connection.run).
 */
export function staleMasterReconnect(socketOf: () => unknown): (err: Error) => boolean {
  let asked: unknown = null;
  return (err) => {
    if (!isStaleMaster(err)) return false;
    const socket = socketOf();
    if (socket !== undefined && socket === asked) return false;
    asked = socket;
    return true;
  };
}

/**
 * ioredis options for a sentinel URL: the sentinels, the master's name and credentials. After a failover a
 * reconnect asks the sentinels where the master is now; a command refused by a demoted master (READONLY) also
 * makes the client reconnect.
 */
export function sentinelOptions(setting: string, url: string, transport: TransportOptions, optionsName: string): RedisOptions {
  const addr = parseSentinelUrl(setting, url);
  if (!transport.masterName) {
    throw new ConfigurationError(
      `\`${setting}\` (${redactSentinelUrl(url)}) is a Sentinel URL: set \`${optionsName}: { masterName: '…' }\` (Celery's master_name transport option) to the name the sentinels monitor`,
    );
  }
  const options: RedisOptions = {
    sentinels: addr.sentinels,
    name: transport.masterName,
    role: 'master',
    db: addr.db,
    // NOTE: keep asking the sentinels (capped backoff); callers bound their own waits, as for plain Redis.
    sentinelRetryStrategy: (times) => Math.min(50 * times, 1_000),
    reconnectOnError: (err) => isStaleMaster(err),
  };
  if (addr.username) options.username = addr.username;
  if (addr.password) options.password = addr.password;
  if (transport.sentinelPassword) options.sentinelPassword = transport.sentinelPassword;
  if (transport.sentinelUsername) options.sentinelUsername = transport.sentinelUsername;
  return options;
}
