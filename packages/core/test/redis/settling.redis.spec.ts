import { describeSettlingConformance } from '../conformance/settling.conformance';
import type Redis from 'ioredis';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;
let admin: Redis;
let db = 0;

// NOTE: a server of our own (even with REDIS_URL set), so flushing its databases touches nobody's data.
beforeAll(async () => {
  redis = await startRedis({ own: true });
  admin = redis.client();
});
afterAll(async () => {
  await redis.stop();
});

describeSettlingConformance('redis://', {
  freshUrl: async () => {
    const n = db++ % 16;
    await admin.select(n);
    await admin.flushdb();
    return redis.url(n);
  },
});
