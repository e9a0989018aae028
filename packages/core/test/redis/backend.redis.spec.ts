import { describeResultBackend } from '../conformance/backend.conformance';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;
describeResultBackend('redis', {
  url: async () => {
    redis = await startRedis();
    return redis.url();
  },
  teardown: () => redis.stop(),
});
