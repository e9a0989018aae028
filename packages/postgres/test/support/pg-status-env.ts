// Broker Redis, results in PostgreSQL, subscriptions counted around the real backend: the environment of the status
// and HTTP suites on this backend.
import { consoleLogger, createApp, DEFAULT_SETTINGS } from '@celeriac/core';
import { CountingBackend, countedStatusEnv } from '../../../core/test/support/counting-backend';
import { startRedis } from '../../../core/test/support/redis-server';
import type { StatusEnv } from '../../../core/test/support/status-suite';
import { PostgresBackend } from '../../src';
import { startPostgres } from './pg-server';

export async function pgStatusEnv(name: string): Promise<StatusEnv> {
  const redis = await startRedis();
  const pg = await startPostgres();
  const logger = consoleLogger('silent');
  const backend = new CountingBackend(new PostgresBackend(`db+${await pg.createDatabase()}`, { settings: { ...DEFAULT_SETTINGS, workerConcurrency: 20 }, logger }));
  const app = createApp(name, { broker: redis.url(), backend, logger });
  return countedStatusEnv(app, backend, async () => {
    await pg.stop();
    await redis.stop();
  });
}
