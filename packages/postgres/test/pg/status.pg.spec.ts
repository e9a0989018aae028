// Broker Redis, results in PostgreSQL: core's worker, task status, watch() and createStatusHandler (the status
// routes every integration serves) run unchanged on this backend; subscriptions are counted around the real one.
import { consoleLogger, createApp, DEFAULT_SETTINGS } from '@celeriac/core';
import { CountingBackend, countedStatusEnv } from '../../../core/test/support/counting-backend';
import { startRedis } from '../../../core/test/support/redis-server';
import { describeStatus } from '../../../core/test/support/status-suite';
import { PostgresBackend } from '../../src';
import { startPostgres } from '../support/pg-server';

describeStatus('redis broker, postgres results', async () => {
  const redis = await startRedis();
  const pg = await startPostgres();
  const logger = consoleLogger('silent');
  const backend = new CountingBackend(new PostgresBackend(`db+${await pg.createDatabase()}`, { settings: { ...DEFAULT_SETTINGS, workerConcurrency: 20 }, logger }));
  const app = createApp('status-pg', { broker: redis.url(), backend, logger });
  return countedStatusEnv(app, backend, async () => {
    await pg.stop();
    await redis.stop();
  });
});
