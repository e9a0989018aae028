// Celery 5.2 and celeriac on one Redis Sentinel deployment, both directions, broker and result backend through
// the sentinels: a Node .delay() runs on a Python worker, a Python send_task runs on a Node worker.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { consoleLogger, createApp, type Celeriac, type Worker } from '@celeriac/core';
import { PY_DIR, PYTHON, startPythonWorker, type PythonWorker } from '../interop/support';
import { startSentinels, type SentinelDeployment } from '../support/sentinel';

let deployment: SentinelDeployment;
let app: Celeriac;
let py: PythonWorker | null = null;
let worker: Worker | null = null;

beforeAll(async () => {
  deployment = await startSentinels();
  app = createApp('sentinel-interop', { ...deployment.settings(0), logger: consoleLogger('silent') });
}, 60_000);
afterAll(async () => {
  await py?.stop();
  await worker?.close();
  await app.close();
  await deployment.stop();
});

test('a Node .delay() runs on a Python Celery worker on sentinel://; Node reads its result through the sentinels', async () => {
  py = await startPythonWorker(deployment.url(0), { queues: ['py'], name: 'py-sentinel', module: 'sentinel_app' });
  const add = app.remoteTask<[number, number], number>('proj.add', { queue: 'py' });
  await expect((await add.delay(40, 2)).get({ timeout: 20_000 })).resolves.toBe(42);
}, 60_000);

test('a Python send_task on sentinel:// runs on a Node worker; Python reads its result through the sentinels', async () => {
  app.task('node.add', (x: number, y: number) => x + y);
  worker = app.worker({ queues: ['node'], concurrency: 2 });
  await worker.start();
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      PYTHON,
      [join(PY_DIR, 'sentinel_app.py'), '20', '22'],
      { cwd: PY_DIR, env: { ...process.env, INTEROP_REDIS_URL: deployment.url(0), PYTHONPATH: PY_DIR, PYTHONDONTWRITEBYTECODE: '1' }, timeout: 40_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
  expect(JSON.parse(out.trim().split('\n').pop()!)).toMatchObject({ result: 42 });
}, 60_000);
