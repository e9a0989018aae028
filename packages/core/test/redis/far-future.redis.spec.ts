import type Redis from 'ioredis';
import { describeFarFuture } from '../conformance/far-future.scenario';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;
let admin: Redis;

// NOTE: a server of our own: the command count must not include anyone else's traffic.
beforeAll(async () => {
  redis = await startRedis({ own: true });
  admin = redis.client();
});
afterAll(async () => {
  await redis.stop();
});

async function totalCalls(): Promise<number> {
  const info = await admin.info('commandstats');
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) if (m[1] !== 'info' && m[1] !== 'config') total += Number(m[2]);
  return total;
}

describeFarFuture('redis://', {
  freshUrl: async () => {
    await admin.flushall();
    return redis.url(0);
  },
  commandsSince: async () => {
    const n = await totalCalls();
    await admin.config('RESETSTAT');
    return n;
  },
  delayedCount: () => admin.zcard('celeriac.delayed'),
});
