// Result-backend failures are BackendErrors naming the backend (password hidden) and the operation, with the
// cause attached; a worker waits out such a (transient) failure, and a cold shutdown during it leaves the
// message recoverable instead of acking it.
import { randomUUID } from 'node:crypto';
import { BackendError, BrokerError, consoleLogger, createApp, type Celeriac } from '../../src';
import { makeMeta } from '../../src/protocol/result-meta';
import { freePort, startRedis, type RedisServer } from '../support/redis-server';
import { rejectionOf } from '../support/rejection';

const quiet = consoleLogger('silent');
let apps: Celeriac[] = [];
afterEach(async () => {
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
});

const rejection = (p: Promise<unknown>): Promise<BackendError> => rejectionOf(p, BackendError);

describe('a result backend that cannot be reached', () => {
  let url: string;
  let app: Celeriac;
  beforeEach(async () => {
    url = `redis://:s3cret@127.0.0.1:${await freePort()}/0`;
    app = createApp('backend-down', { broker: `memory://${randomUUID()}`, backend: url, brokerConnectionTimeout: 300, logger: quiet });
    apps.push(app);
  });

  it('store rejects with a BackendError naming the URL (password hidden), the operation and the cause', async () => {
    const err = await rejection(app.backend.store(makeMeta('t-1', 'SUCCESS', 1), 60_000));
    expect(err.message).toContain('redis://:***@127.0.0.1:');
    expect(err.message).not.toContain('s3cret');
    expect(err.message).toMatch(/could not store a result: /);
    expect(err.cause).toBeInstanceOf(BrokerError);
  });

  it('get, forget and result.get() reject with a BackendError too', async () => {
    expect((await rejection(app.backend.get('t-2'))).message).toMatch(/could not read the result of task t-2/);
    expect((await rejection(app.backend.forget('t-3'))).message).toMatch(/could not forget the result of task t-3/);
    const err = await rejection(app.asyncResult('t-4').get({ timeout: 10_000 }));
    expect(err.message).toMatch(/^Result backend redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 could not subscribe to the result of task t-4/);
  });
});

describe('a worker whose result backend goes away', () => {
  // NOTE: two servers of our own: the broker stays up while the results server is killed and restarted.
  let brokerServer: RedisServer;
  let redis: RedisServer;
  beforeAll(async () => {
    brokerServer = await startRedis({ own: true });
    redis = await startRedis({ own: true });
  });
  afterAll(async () => {
    await Promise.all([brokerServer.stop(), redis.stop()]);
  });

  it('retries the store (reporting BackendErrors); a cold shutdown leaves the message recoverable, and it runs later', async () => {
    const broker = brokerServer.url(0);
    const config = { broker, backend: redis.url(0), brokerConnectionTimeout: 300, logger: quiet };
    const app1 = createApp('cold', config);
    apps.push(app1);
    let runs = 0;
    const add = app1.task('cold.add', (a: number, b: number) => {
      runs++;
      return a + b;
    });
    await redis.kill();
    const w1 = app1.worker({ heartbeatInterval: 50, heartbeatTimeout: 300 });
    const errors: Error[] = [];
    w1.on('error', (e) => errors.push(e));
    await w1.start();
    const res = await add.delay(2, 3);
    const deadline = Date.now() + 10_000;
    while (!errors.some((e) => e instanceof BackendError && /could not store/.test(e.message))) {
      if (Date.now() > deadline) throw new Error(`no BackendError reported; got ${errors.map((e) => e.message).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(runs).toBe(1);
    await w1.close({ timeout: 0 });

    await redis.restart();
    const app2 = createApp('cold', config);
    apps.push(app2);
    app2.task('cold.add', (a: number, b: number) => {
      runs++;
      return a + b;
    });
    const w2 = app2.worker({ heartbeatInterval: 50, heartbeatTimeout: 300 });
    await w2.start();
    await expect(app2.asyncResult(res.id).get({ timeout: 10_000 })).resolves.toBe(5);
    expect(runs).toBe(2);
  });
});
