import { describeRevokedCap } from '../conformance/revoked-cap.scenario';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis({ own: true });
});
afterAll(async () => {
  await redis.stop();
});

describeRevokedCap('redis://', {
  freshUrl: async () => {
    await redis.flushall();
    return redis.url(2);
  },
});
