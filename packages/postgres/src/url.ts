// Celery's database URL (`db+postgresql://user:pass@host:port/db`) as node-postgres connection settings.
import type { ClientConfig } from 'pg';
import { ConfigurationError, redactUrl, type Settings } from '@celeriac/core';

const SCHEMES = ['db+postgresql:', 'postgresql:', 'postgres:'];

/** The connection settings of a URL; waits bounded by `brokerConnectionTimeout` (connecting) and a query timeout. */
export function pgConfig(url: string, settings: Pick<Settings, 'brokerConnectionTimeout'>): ClientConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigurationError(`Expected \`resultBackend\` to be a URL such as db+postgresql://user:pass@host:5432/db, got ${redactUrl(url)}`);
  }
  if (!SCHEMES.includes(parsed.protocol)) {
    throw new ConfigurationError(`\`resultBackend\` (${redactUrl(url)}) is not a PostgreSQL URL: use db+postgresql://, postgresql:// or postgres://`);
  }
  const connectionString = `postgresql:${url.slice(parsed.protocol.length)}`;
  return {
    connectionString,
    connectionTimeoutMillis: settings.brokerConnectionTimeout,
    // NOTE: a server that stops answering (not one that refuses): no query waits longer than this.
    query_timeout: Math.max(2 * settings.brokerConnectionTimeout, 10_000),
    application_name: 'celeriac',
  };
}
