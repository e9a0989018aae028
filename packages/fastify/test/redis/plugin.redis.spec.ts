// The plugin through fastify.inject on a real redis-server.
import { startRedis } from '../../../core/test/support/redis-server';
import { describePlugin } from '../support/plugin-suite';

describePlugin('redis', async () => {
  const redis = await startRedis();
  return { url: redis.url(), stop: () => redis.stop() };
});
