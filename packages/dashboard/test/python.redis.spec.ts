// A Python Celery 5.2 worker beside a celeriac worker on one Redis: the dashboard lists both, each with what it
// runs, from their heartbeat events (Celery's worker-heartbeat on the celeryev fanout).
import { consoleLogger, createApp, type Celeriac, type Worker } from '@celeriac/core';
import { createDashboard, type Dashboard } from '@celeriac/dashboard';
import { startRedis, type RedisServer } from '../../core/test/support/redis-server';
import { startPythonWorker, type PythonWorker } from '../../core/test/interop/support';
import { until } from './support/env';

jest.setTimeout(60_000);

let redis: RedisServer;
let py: PythonWorker;
let app: Celeriac;
let worker: Worker;
let d: Dashboard;

beforeAll(async () => {
  redis = await startRedis({ own: true });
  app = createApp('mixed', { broker: redis.url(0), logger: consoleLogger('silent') });
  worker = app.worker({ hostname: 'node@mixed', queues: ['node'] });
  [py] = await Promise.all([startPythonWorker(redis.url(0), { name: 'py', queues: ['py'], heartbeat: true }), worker.start()]);
  d = createDashboard(app);
});

afterAll(async () => {
  await d?.close();
  await worker?.close();
  await app?.close();
  await py?.stop();
  await redis?.stop();
});

interface Row {
  hostname: string;
  software: string | null;
  queues: string[];
  loadavg: number[] | null;
}

it('lists the Python worker and the celeriac worker, with what each runs', async () => {
  const { url } = await d.listen(0);
  const rows = await until(async () => {
    const o = (await (await fetch(new URL('api/overview', url))).json()) as { workers: Row[] };
    return o.workers.length === 2 && o.workers.every((w) => w.loadavg) ? o.workers : null;
  }, 15_000, 'both workers with their heartbeats');
  const pyRow = rows.find((w) => w.hostname.startsWith('py@'))!;
  expect(pyRow.software).toMatch(/^py-celery 5\.2/);
  const nodeRow = rows.find((w) => w.hostname === 'node@mixed')!;
  expect(nodeRow).toMatchObject({ software: expect.stringMatching(/^celeriac /), queues: ['node'] });
});
