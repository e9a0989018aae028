// Broker Redis, results in PostgreSQL: core's worker, task status, watch() and createStatusHandler (the status
// routes every integration serves) run unchanged on this backend; subscriptions are counted around the real one.
import { consoleLogger, createApp, DEFAULT_SETTINGS, type ResultMeta } from '@celeriac/core';
import { startRedis } from '../../../core/test/support/redis-server';
import { describeStatus } from '../../../core/test/support/status-suite';
import { PostgresBackend } from '../../src';
import { startPostgres } from '../support/pg-server';

class CountingBackend extends PostgresBackend {
  readonly live = new Map<string, number>();
  gets = 0;
  override get(taskId: string) {
    this.gets++;
    return super.get(taskId);
  }
  override async subscribe(taskId: string, listener: (meta: ResultMeta) => void) {
    const stop = await super.subscribe(taskId, listener);
    this.live.set(taskId, (this.live.get(taskId) ?? 0) + 1);
    let stopped = false;
    return () => {
      if (!stopped) this.live.set(taskId, this.live.get(taskId)! - 1);
      stopped = true;
      stop();
    };
  }
}

describeStatus('redis broker, postgres results', async () => {
  const redis = await startRedis();
  const pg = await startPostgres();
  const logger = consoleLogger('silent');
  const backend = new CountingBackend(`db+${await pg.createDatabase()}`, { settings: { ...DEFAULT_SETTINGS, workerConcurrency: 20 }, logger });
  const app = createApp('status-pg', { broker: redis.url(), backend, logger });
  return {
    app,
    subscriptions: async (id) => backend.live.get(id) ?? 0,
    lookups: () => backend.gets,
    close: async () => {
      await app.close();
      await backend.close();
      await pg.stop();
      await redis.stop();
    },
  };
});
