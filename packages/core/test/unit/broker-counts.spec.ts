// The counts `celeriac queues` shows, on memory:// (Redis: test/redis/cli.redis.spec.ts).
import { randomUUID } from 'node:crypto';
import { MemoryBroker } from '../../src/broker/memory';

test('delayedCount() and deadLetterCount() count the delayed set and the dead-letter list', async () => {
  const broker = new MemoryBroker(`memory://${randomUUID()}`);
  const consumer = broker.consumer({ queues: ['celery'], workerId: 'w', heartbeatTimeout: 60_000 });
  for (const raw of ['a', 'b', 'c']) await broker.publish('celery', 0, raw);
  expect(await broker.delayedCount()).toBe(0);
  expect(await broker.deadLetterCount()).toBe(0);
  const [a, b, c] = await consumer.fetch(3);
  await consumer.defer(a!, Date.now() + 60_000);
  await consumer.defer(b!, Date.now() + 90_000);
  await consumer.deadLetter(c!, 'test');
  expect(await broker.delayedCount()).toBe(2);
  expect(await broker.deadLetterCount()).toBe(1);
  expect(await broker.queueLength('celery')).toBe(0);
  await broker.close();
});
