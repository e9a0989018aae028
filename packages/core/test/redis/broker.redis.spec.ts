import { RedisBroker } from '../../src/redis/broker';
import { ConnectionPool } from '../../src/redis/connection';
import { describeBroker } from '../conformance/broker.conformance';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;
const pool = new ConnectionPool(5_000);

// NOTE: a server of our own, flushed before each test: the suite reads celeriac's global keys (delayed set,
// dead letters, workers), which another user of a shared server would disturb.
beforeAll(async () => {
  redis = await startRedis({ own: true });
});
afterAll(async () => {
  await redis.stop();
});

describeBroker('redis://', {
  freshUrl: async () => {
    await redis.flushall();
    return redis.url(4); // not 0: the control channel is per database
  },
  open: (url) => new RedisBroker(url, pool),
});
