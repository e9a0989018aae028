// Broker.queueNames() on a real Redis: found without a keyspace SCAN, from celeriac's queue index and the queues
// live workers consume. Names are unique to the run and only this test's keys are deleted at the end.
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import { ConnectionPool } from '../../src/redis/connection';
import { RedisBroker } from '../../src/redis/broker';
import { celeriacKeys, celeryKeys } from '../../src/redis/keys';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;
let admin: Redis;
let pool: ConnectionPool;
const run = `qn-${randomUUID().slice(0, 8)}`;
const q = (name: string) => `${run}.${name}`;
const names = ['a', 'b', 'py', 'held'].map(q);

beforeAll(async () => {
  // NOTE: a server of our own even with REDIS_URL: the conformance suite needs that database empty meanwhile.
  redis = await startRedis({ own: true });
  admin = redis.client();
  pool = new ConnectionPool(5_000);
});
afterAll(async () => {
  const keys = names.flatMap((n) => [...celeryKeys.queueLists(n), celeryKeys.binding(n)]);
  await admin.del(...keys);
  await admin.srem(celeriacKeys.queues, ...names);
  await redis.stop();
});

const ours = async (b: RedisBroker) => (await b.queueNames()).filter((n) => n.startsWith(`${run}.`));

test('queues celeriac published to, at any priority, are listed by any broker of the database, sorted', async () => {
  const producer = new RedisBroker(redis.url(), pool);
  await producer.publish(q('b'), 6, 'b1');
  await producer.publish(q('a'), 0, 'a1');
  expect(await ours(producer)).toEqual([q('a'), q('b')]);
  const all = await producer.queueNames();
  expect(all).toEqual([...all].sort());
  // NOTE: a fresh broker has published nothing itself: it reads the shared index.
  const other = new RedisBroker(redis.url(), pool);
  expect(await ours(other)).toEqual([q('a'), q('b')]);
  expect(await other.purge(q('b'))).toBe(1);
  expect(await ours(other)).toEqual([q('a')]);
  await producer.close();
  await other.close();
});

test('a queue only a Python producer wrote to is listed while a worker consumes it; held messages do not count', async () => {
  const broker = new RedisBroker(redis.url(), pool);
  // What a Celery producer writes (celery-wire.md): the binding, then LPUSH.
  await admin.sadd(celeryKeys.binding(q('py')), celeryKeys.bindingMember(q('py')));
  await admin.lpush(q('py'), 'from python');
  await broker.publish(q('held'), 0, 'h1');
  const consumer = broker.consumer({ queues: [q('held'), q('py')], workerId: `${run}-w`, heartbeatTimeout: 60_000 });
  await consumer.start({ id: `${run}-w`, hostname: 'h', pid: 1, queues: [q('held'), q('py')], concurrency: 1, startedAt: Date.now(), active: 0, processed: 0 });
  expect(await ours(broker)).toEqual([q('a'), q('held'), q('py')]);

  const taken = await consumer.fetch(2);
  expect(taken.map((d) => d.queue).sort()).toEqual([q('held'), q('py')]);
  expect(await ours(broker)).toEqual([q('a')]);
  for (const d of taken) await consumer.ack(d);
  await consumer.stop();
  await broker.close();
});
