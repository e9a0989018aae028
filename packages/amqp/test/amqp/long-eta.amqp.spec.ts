// Long countdowns wait in RabbitMQ, not in a worker: with consumer_timeout shortened to 3 s (30 min by default),
// a worker holding a delivery unacked that long would have its channel closed and the task would loop. Here a
// 12 s countdown runs once, when due, after a bounded number of hops; a 30-day one stays parked in the broker.
import { consoleLogger, createApp, type Celeriac, type Worker } from '@celeriac/core';
import { startServers, type Servers } from '../support/targets';

jest.setTimeout(120_000);

let servers: Servers;
let app: Celeriac;
let worker: Worker;
const defers = new Map<string, number>();

beforeAll(async () => {
  servers = await startServers(1, { consumerTimeout: 3_000 });
  const { amqp, redis } = await servers.fresh();
  app = createApp('long-eta', { broker: amqp, backend: redis, logger: consoleLogger('silent') });
});

afterAll(async () => {
  await worker?.close({ timeout: 1_000 });
  await app?.close();
  await servers?.stop();
});

test('a countdown longer than consumer_timeout runs once, when due, and a 30-day one stays parked without looping', async () => {
  const runs: number[] = [];
  const quick: number[] = [];
  const late = app.task('t.late', () => void runs.push(Date.now()));
  const now = app.task('t.now', () => void quick.push(Date.now()));
  worker = app.worker({ concurrency: 2 });
  const defer = worker.consumer.defer.bind(worker.consumer);
  worker.consumer.defer = async (d, eta) => {
    const id = JSON.parse(d.raw).headers.id as string;
    defers.set(id, (defers.get(id) ?? 0) + 1);
    return defer(d, eta);
  };
  await worker.start();

  const t0 = Date.now();
  const res = await late.applyAsync([], { countdown: 12_000 });
  const far = await late.applyAsync([], { countdown: 30 * 24 * 3600 * 1000 });
  // Other work goes on meanwhile.
  for (let i = 0; i < 5; i++) await now.delay();
  await expect(res.get({ timeout: 60_000 })).resolves.toBeNull();
  expect(runs).toHaveLength(1);
  expect(runs[0]!).toBeGreaterThanOrEqual(t0 + 12_000 - 20);
  expect(quick).toHaveLength(5);
  // One hop per power-of-two step at most (12 s from 128 ms steps: under 8), never a loop.
  expect(defers.get(res.id)!).toBeGreaterThanOrEqual(1);
  expect(defers.get(res.id)!).toBeLessThanOrEqual(8);
  // The 30-day task was parked once (its first step is 2^31 ms) and is still in the broker.
  expect(defers.get(far.id)).toBe(1);
  expect(await app.broker.delayedCount()).toBe(1);
  expect(await far.state()).toBe('PENDING');
  // RabbitMQ never closed the worker's channel: nothing came back redelivered.
  expect((worker.consumer as unknown as { redelivered: number }).redelivered).toBe(0);
});
