import { describeWorkerConformance } from '../conformance/worker.conformance';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;
let db = 0;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

// NOTE: each test gets a database of its own (16 per server), flushed first.
describeWorkerConformance('redis://', {
  freshUrl: async () => {
    const url = redis.url(db++ % 16);
    const c = redis.client();
    await c.select(Number(url.split('/').pop()));
    await c.flushdb();
    return url;
  },
});
