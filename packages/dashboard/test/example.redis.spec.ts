// The README's dashboard example is this package's examples/dashboard.ts, shown exactly and run here.
import { join } from 'node:path';
import { consoleLogger, createApp } from '@celeriac/core';
import { readmeExample } from '../../core/test/support/readme';
import { startRedis, type RedisServer } from '../../core/test/support/redis-server';
import { startDashboard } from '../examples/dashboard';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis({ own: true });
});
afterAll(async () => {
  await redis?.stop();
});

it('the README shows examples/dashboard.ts exactly', () => {
  const { shown, actual } = readmeExample(join(__dirname, '../../../README.md'), join(__dirname, '../examples/dashboard.ts'));
  expect(shown).toBe(actual);
});

it('runs: the dashboard serves, and the history finds a failed task by an argument value', async () => {
  const url = redis.url(0);
  const app = createApp('shop', { broker: url, logger: consoleLogger('silent') });
  app.task('orders.charge', (email: string) => {
    throw new Error(`card of ${email} declined`);
  });
  const worker = app.worker({ sendTaskEvents: true });
  await worker.start();
  const r = await app.sendTask('orders.charge', ['ann@example.com']);
  await expect(r.get({ timeout: 5_000 })).rejects.toThrow('declined');
  await worker.close();
  process.env.DASHBOARD_TOKEN = 'example-token';
  const d = await startDashboard(url, 0);
  try {
    expect(d.failed.map((t) => t.id)).toEqual([r.id]);
    expect((await fetch(d.url)).status).toBe(401);
    expect((await fetch(d.url, { headers: { authorization: 'Bearer example-token' } })).status).toBe(200);
  } finally {
    delete process.env.DASHBOARD_TOKEN;
    await d.close();
    await app.close();
  }
});
