// A redis-server of the suite's own (even with REDIS_URL set), started before its tests and stopped after, and
// fresh databases on it: flushing them touches nobody else's data.
import type Redis from 'ioredis';
import { startRedis, type RedisServer } from './redis-server';

export interface OwnRedis {
  readonly redis: RedisServer;
  /** A client for assertions (its selected db changes with freshUrl()). */
  readonly admin: Redis;
  /** The URL of the next of `dbs` databases, flushed first. */
  freshUrl(): Promise<string>;
}

/** Call at the top of a spec file (it registers beforeAll / afterAll). */
export function ownRedis(dbs = 16): OwnRedis {
  let redis: RedisServer | null = null;
  let admin: Redis | null = null;
  let db = 0;
  beforeAll(async () => {
    redis = await startRedis({ own: true });
    admin = redis.client();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const own: OwnRedis = {
    get redis() {
      return redis!;
    },
    get admin() {
      return admin!;
    },
    async freshUrl() {
      const n = db++ % dbs;
      await own.admin.select(n);
      await own.admin.flushdb();
      return own.redis.url(n);
    },
  };
  return own;
}
