// A result stored while the result subscriber was disconnected is still seen: get() reads it after resubscribing.
import { consoleLogger, createApp } from '../../src';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis({ own: true });
});
afterAll(async () => {
  await redis.stop();
});

test('get() does not hang when the SUCCESS was published while its subscriber was reconnecting', async () => {
  const app = createApp('reconnect', { broker: redis.url(), logger: consoleLogger('silent') });
  const res = app.asyncResult<number>('reconnect-task-1');
  const waiting = res.get({ timeout: 10_000 });
  const admin = redis.client();
  // wait until the subscription is in place
  for (let i = 0; i < 100 && Number(await admin.call('PUBSUB', 'NUMSUB', 'celery-task-meta-reconnect-task-1').then((r) => (r as [string, number])[1])) === 0; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  // and until get() has made its first read (it reads once, then only listens)
  await new Promise((r) => setTimeout(r, 200));
  const meta = JSON.stringify({ status: 'SUCCESS', result: 42, traceback: null, children: [], date_done: null, task_id: 'reconnect-task-1' });
  // NOTE: in one transaction: the subscriber is cut off and the result is written (with no PUBLISH) before it is back.
  await admin.multi().call('CLIENT', 'KILL', 'TYPE', 'pubsub').set('celery-task-meta-reconnect-task-1', meta).exec();
  await expect(waiting).resolves.toBe(42);
  await app.close();
});
