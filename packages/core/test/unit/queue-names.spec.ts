// Broker.queueNames() on memory://: the queues with waiting messages, any priority; held and deferred ones do not count.
import { randomUUID } from 'node:crypto';
import { MemoryBroker } from '../../src/broker/memory';

let broker: MemoryBroker;
beforeEach(() => {
  broker = new MemoryBroker(`memory://${randomUUID()}`);
});
afterEach(() => broker.close());

test('an empty broker has no queues', async () => {
  expect(await broker.queueNames()).toEqual([]);
});

test('every queue with a waiting message, at any priority, sorted and without priority suffixes', async () => {
  await broker.publish('mail', 0, 'm1');
  await broker.publish('celery', 9, 'c1');
  await broker.publish('billing', 3, 'b1');
  await broker.publish('billing', 0, 'b2');
  expect(await broker.queueNames()).toEqual(['billing', 'celery', 'mail']);
});

test('a queue whose messages are all held by a worker or deferred is not listed; purged queues drop out', async () => {
  await broker.publish('held', 6, 'h1');
  await broker.publish('deferred', 0, 'd1');
  await broker.publish('purged', 0, 'p1');
  await broker.publish('waiting', 0, 'w1');
  const consumer = broker.consumer({ queues: ['held', 'deferred'], workerId: 'w', heartbeatTimeout: 60_000 });
  await consumer.start({ id: 'w', hostname: 'h', pid: 1, queues: ['held', 'deferred'], concurrency: 1, startedAt: Date.now(), active: 0, processed: 0 });
  const taken = await consumer.fetch(2);
  expect(taken.map((d) => d.queue).sort()).toEqual(['deferred', 'held']);
  await consumer.defer(taken.find((d) => d.queue === 'deferred')!, Date.now() + 60_000);
  expect(await broker.purge('purged')).toBe(1);
  expect(await broker.queueNames()).toEqual(['waiting']);
  await consumer.requeue(taken.filter((d) => d.queue === 'held'));
  expect(await broker.queueNames()).toEqual(['held', 'waiting']);
  await consumer.stop();
});
