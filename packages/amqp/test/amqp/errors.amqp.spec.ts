// What a user can get wrong with RabbitMQ, each a clear error within a bounded wait, nothing hanging: a broker
// that is not there, a queue declared differently by someone else (406), a closed broker.
import { consoleLogger, createApp, type Celeriac } from '@celeriac/core';
import { AmqpBroker } from '../../src';
import { freePort, startRabbit } from '../support/rabbitmq';
import { openBroker, startServers, type Servers } from '../support/targets';

jest.setTimeout(60_000);

let servers: Servers;
const apps: Celeriac[] = [];
beforeAll(async () => {
  servers = await startServers(4);
});
afterAll(async () => {
  for (const a of apps) await a.close();
  await servers?.stop();
});

const app = (broker: string, extra: Record<string, unknown> = {}) => {
  const a = createApp('errors', { broker, backend: servers.redis.url(0), logger: consoleLogger('silent'), brokerConnectionTimeout: 1_000, ...extra });
  apps.push(a);
  return a;
};

test('a broker that is not there: .delay() and worker.start() reject within the timeout, naming the URL without its password', async () => {
  const url = `amqp://ann:s3cret@127.0.0.1:${await freePort()}/`;
  const a = app(url);
  const t = a.task('t.x', () => 1);
  const t0 = Date.now();
  const err = (await t.delay().catch((e: unknown) => e)) as Error;
  expect(err).toBeInstanceOf(Error);
  expect(err.name).toBe('BrokerError');
  expect(err.message).toMatch(/amqp:\/\/ann:\*\*\*@127\.0\.0\.1/);
  expect(err.message).not.toContain('s3cret');
  expect(Date.now() - t0).toBeLessThan(10_000);
  const w = a.worker();
  await expect(w.start()).rejects.toThrow(/cannot reach the AMQP broker at amqp:\/\/ann:\*\*\*@/);
  await w.close();
});

test('a queue declared differently elsewhere (x-max-priority): an error naming RabbitMQ\'s refusal, not a hang or a retry loop', async () => {
  const { amqp } = await servers.fresh();
  const plain = app(amqp);
  await plain.sendTask('t.any', [], { queue: 'shared' });
  const prio = app(amqp, { taskQueueMaxPriority: 10 });
  const refused = (await prio.sendTask('t.any', [], { queue: 'shared' }).catch((e: unknown) => e)) as Error;
  expect(refused.name).toBe('ConfigurationError'); // not retried forever by a worker's durable writes
  expect(refused.message).toMatch(/publish to shared.*RabbitMQ refused it.*PRECONDITION_FAILED.*x-max-priority/);
  // The broker is still usable for queues that agree.
  await expect(prio.sendTask('t.any', [], { queue: 'other' })).resolves.toBeDefined();
});

test('a closed broker refuses work with an error', async () => {
  const { amqp, redis } = await servers.fresh();
  const b = openBroker(amqp, redis);
  await b.close();
  await expect(b.publish('q', 0, '{"body": ""}')).rejects.toThrow(/closed/);
});

test('RabbitMQ blocking publishers (memory alarm): a send fails after the confirm timeout instead of waiting forever', async () => {
  const blocked = await startRabbit({ own: true, memoryWatermark: 1 });
  const warnings: string[] = [];
  const logger = { ...consoleLogger('silent'), warn: (m: string) => void warnings.push(m) };
  const b = new AmqpBroker(blocked.url(), { timeout: 2_000, maxPriority: null, resultBackend: null, logger, confirmTimeout: 2_000 });
  try {
    const t0 = Date.now();
    const err = (await b.publish('q', 0, JSON.stringify({ body: 'W10=', headers: {}, properties: { body_encoding: 'base64' } })).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/did not confirm a message to queue q within 2000 ms/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(warnings.join('\n')).toMatch(/blocks publishing/);
  } finally {
    await b.close();
    await blocked.stop();
  }
});

test('what RabbitMQ cannot keep (a globalRateLimit, per-key slots, dedup): a clear error at worker start or at the send', async () => {
  const { amqp } = await servers.fresh();
  const limited = app(amqp);
  limited.task('t.limited', () => 1, { globalRateLimit: '10/s' });
  const w1 = limited.worker();
  await expect(w1.start()).rejects.toThrow(/Task "t\.limited" has a globalRateLimit, which the broker amqp:.* cannot keep/);
  await w1.close();
  const tenants = app(amqp);
  tenants.task('t.tenant', (tenant: string) => tenant, { concurrencyKey: (args) => String(args[0]), maxPerKey: 1 });
  const w2 = tenants.worker();
  await expect(w2.start()).rejects.toThrow(/Task "t\.tenant" has a concurrencyKey, which the broker amqp:.* cannot keep/);
  await w2.close();
  const once = tenants.task('t.once', () => 1);
  await expect(once.applyAsync([], { dedupKey: 'k1' })).rejects.toThrow(/cannot deduplicate sends/);
});
