// Beat on RabbitMQ: the broker cannot keep the schedule's state, so the beats claim runs in the result backend's
// Redis and the winner publishes to RabbitMQ. Two beats (two apps) send each run once; a worker runs them.
import Redis from 'ioredis';
import { consoleLogger, createApp, every, type Celeriac } from '@celeriac/core';
import { startServers, type Servers } from '../support/targets';

jest.setTimeout(120_000);

let servers: Servers;
beforeAll(async () => {
  servers = await startServers(2);
});
afterAll(async () => {
  await servers?.stop();
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

it('two beats with a Redis result backend send each run once to RabbitMQ', async () => {
  const { amqp, redis } = await servers.fresh();
  const runs: number[] = [];
  const apps: Celeriac[] = [];
  const make = () => {
    const app = createApp('beat-amqp', { broker: amqp, resultBackend: redis, logger: consoleLogger('silent') });
    app.task('beat.tick', () => void runs.push(Date.now()));
    app.addPeriodicTask('tick', { task: 'beat.tick', schedule: every(300), options: { queue: 'beatq' } });
    apps.push(app);
    return app;
  };
  const [a, b] = [make(), make()];
  const client = new Redis(redis);
  try {
    const worker = a.worker({ queues: ['beatq'] });
    await worker.start();
    const beats = [a.beat(), b.beat()];
    await Promise.all(beats.map((x) => x.start()));
    const t0 = Date.now();
    await sleep(2_000);
    await Promise.all(beats.map((x) => x.close()));
    const elapsed = Date.now() - t0;
    await sleep(300);
    expect(runs.length).toBeGreaterThanOrEqual(Math.floor(elapsed / 300) - 1);
    expect(runs.length).toBeLessThanOrEqual(Math.floor(elapsed / 300));
    const gaps = runs.slice(1).map((t, i) => t - runs[i]!);
    expect(Math.min(...gaps)).toBeGreaterThan(150);
    expect(Number(await client.hget('celeriac.beat', 'tick'))).toBeGreaterThan(t0);
  } finally {
    client.disconnect();
    await Promise.all(apps.map((x) => x.close()));
  }
});
