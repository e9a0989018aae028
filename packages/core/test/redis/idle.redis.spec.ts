// An idle worker blocks on Redis instead of polling: it sends few commands, and wakes at once for new work.
import type Redis from 'ioredis';
import { consoleLogger, createApp, type Celeriac } from '../../src';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;
let admin: Redis;
let app: Celeriac;

async function totalCalls(): Promise<number> {
  const info = await admin.info('commandstats');
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) if (m[1] !== 'info') total += Number(m[2]);
  return total;
}

beforeAll(async () => {
  redis = await startRedis({ own: true });
  admin = redis.client();
  app = createApp('idle', { broker: redis.url(), logger: consoleLogger('silent'), workerHeartbeatInterval: 2_000 });
});
afterAll(async () => {
  await app.close();
  await redis.stop();
});

test('an idle worker sends Redis only a few commands a second, and a new task starts within milliseconds', async () => {
  const started: number[] = [];
  const ping = app.task('idle.ping', () => void started.push(Date.now()));
  const worker = app.worker({ queues: ['celery', 'other'] });
  await worker.start();
  await new Promise((r) => setTimeout(r, 500));

  await admin.config('RESETSTAT');
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 4_000));
  const perSecond = (await totalCalls()) / ((Date.now() - t0) / 1000);
  console.log(`idle worker: ${perSecond.toFixed(2)} Redis commands/s (2 queues, 8 lists watched)`);
  // NOTE: what an idle worker sends is its heartbeat, every 2 s here: the tick script and the commands it runs, the
  // worker's info, Celery's worker-heartbeat event (a PUBLISH): ~9 commands, ~4.5 a second (a 4 s window may
  // take in a third tick). A worker polling its 8 lists would send hundreds. The heartbeat thread beats only when
  // the main loop has missed a beat, so it adds nothing here.
  expect(perSecond).toBeLessThan(7);

  const latencies: number[] = [];
  for (let i = 0; i < 5; i++) {
    const sent = Date.now();
    await (await ping.delay()).get({ timeout: 5_000 });
    latencies.push(started[started.length - 1]! - sent);
    await new Promise((r) => setTimeout(r, 200));
  }
  console.log(`send → start on an idle worker: ${latencies.join(', ')} ms`);
  // NOTE: not a performance figure (npm run bench measures those): a polling worker would take its poll interval.
  expect(Math.max(...latencies)).toBeLessThan(250);
  await worker.close();
});
