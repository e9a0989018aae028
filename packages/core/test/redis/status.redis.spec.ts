// Task status, watch() and the status routes on a real redis-server; subscriptions counted by Redis itself.
import type Redis from 'ioredis';
import { consoleLogger, createApp } from '../../src';
import { startRedis } from '../support/redis-server';
import { describeStatus } from '../support/status-suite';

describeStatus('redis', async () => {
  const redis = await startRedis();
  const admin: Redis = redis.client();
  const app = createApp('status-redis', { broker: redis.url(), logger: consoleLogger('silent') });
  return {
    app,
    subscriptions: async (id) => {
      const [, n] = (await admin.pubsub('NUMSUB', `celery-task-meta-${id}`)) as [string, number];
      return Number(n);
    },
    close: async () => {
      await app.close();
      await redis.stop();
    },
  };
});
