// createApp with what the user already built: an ioredis client (its connection details are copied, the
// client stays the user's) or another app's broker and backend instances (not closed by the borrower).
import Redis from 'ioredis';
import { consoleLogger, createApp } from '../../src';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;
let admin: Redis;
const silent = consoleLogger('silent');

beforeAll(async () => {
  redis = await startRedis({ own: true });
  admin = redis.client();
});
afterAll(async () => {
  await redis.stop();
});

const celeriacClients = async (db: number) =>
  ((await admin.client('LIST')) as string).split('\n').filter((l) => / name=celeriac/.test(l) && new RegExp(` db=${db} `).test(l)).length;

test('an ioredis client: the app copies its host, password and db, uses only its copies, and leaves it open', async () => {
  await admin.config('SET', 'requirepass', 's3cret');
  const client = new Redis({ host: '127.0.0.1', port: redis.port, password: 's3cret', db: 5, lazyConnect: true });
  try {
    await client.connect();
    const app = createApp('from-client', { broker: client, logger: silent });
    expect(app.settings.brokerUrl).toBe(`redis://127.0.0.1:${redis.port}/5`);
    const add = app.task('inst.add', (a: number, b: number) => a + b);
    const worker = app.worker();
    await worker.start();
    const res = await add.delay(20, 22);
    expect(await res.get({ timeout: 10_000 })).toBe(42);
    expect(await client.exists(`celery-task-meta-${res.id}`)).toBe(1);
    expect(await celeriacClients(5)).toBeGreaterThan(0);
    await app.close();
    expect(client.status).toBe('ready');
    expect(await client.ping()).toBe('PONG');
    expect(await celeriacClients(5)).toBe(0);
  } finally {
    client.disconnect();
    await admin.config('SET', 'requirepass', '');
  }
});

test("another app's broker and backend: used as they are, and not closed by the app that borrowed them", async () => {
  const owner = createApp('owner', { broker: redis.url(6), logger: silent });
  const mul = owner.task('inst.mul', (a: number, b: number) => a * b);
  const worker = owner.worker();
  await worker.start();
  const borrower = createApp('borrower', { broker: owner.broker, backend: owner.backend, logger: silent });
  const viaBorrower = borrower.remoteTask<[number, number], number>('inst.mul');
  expect(await (await viaBorrower.delay(6, 7)).get({ timeout: 10_000 })).toBe(42);
  await borrower.close();
  expect(await (await mul.delay(3, 3)).get({ timeout: 10_000 })).toBe(9);
  await owner.close();
  expect(await celeriacClients(6)).toBe(0);
});
