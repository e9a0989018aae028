// A conformance Target on a real redis-server: a database holding nothing else per test. Registers the
// beforeAll/afterEach/afterAll hooks of the spec file that calls it.
import type Redis from 'ioredis';
import type { Target } from '../conformance/harness';
import { startRedis, type RedisServer } from './redis-server';

export function redisTarget(): Target {
  let redis: RedisServer;
  let admin: Redis;
  let db = 0;
  /** The current test found the REDIS_URL database empty: every key in it now is one the test made. */
  let foundEmpty = false;

  beforeAll(async () => {
    redis = await startRedis();
    admin = redis.client();
  });
  afterAll(async () => {
    await redis.stop();
  });

  // NOTE: the suites read broker-wide state (live workers, dead letters, the default queue), so each test needs a
  // database holding nothing else. On a server of our own: one of its 16 databases per test, flushed first. On
  // REDIS_URL (someone else's server): its one database, which must be empty; after each test the keys the test
  // made (all there are, as it found none) are deleted, and nothing is ever flushed.
  afterEach(async () => {
    if (!foundEmpty) return;
    foundEmpty = false;
    const made = await admin.keys('*');
    if (made.length) await admin.unlink(...made);
  });

  return {
    freshUrl: async () => {
      if (redis.external) {
        const url = redis.url();
        const keys = await admin.dbsize();
        if (keys) throw new Error(`REDIS_URL database ${url} holds ${keys} key(s): the Redis conformance suite needs an empty one (set REDIS_URL to an unused database)`);
        foundEmpty = true;
        return url;
      }
      const url = redis.url(db++ % 16);
      const c = redis.client();
      await c.select(Number(url.split('/').pop()));
      await c.flushdb();
      return url;
    },
  };
}
