// Celery's rpc:// result backend over RabbitMQ: results travel as messages to the caller's reply queue.
// celeriac alone (producer and worker in two apps), Node → a Python worker, and a Python caller → a celeriac worker.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { consoleLogger, createApp, type Celeriac, type Worker } from '@celeriac/core';
import { startPythonWorker, type PythonWorker } from '../../../core/test/interop/support';
import { startServers, type Servers } from '../support/targets';

jest.setTimeout(90_000);

const PY_DIR = join(__dirname, 'py');
let servers: Servers;
let amqpUrl: string;
let redisUrl: string;
let caller: Celeriac;
let workerApp: Celeriac;
let worker: Worker;
let py: PythonWorker;

function runPy<T = Record<string, unknown>>(params: Record<string, unknown>): Promise<T> {
  const env: NodeJS.ProcessEnv = { ...process.env, AMQP_URL: amqpUrl, REDIS_URL: redisUrl, PY_BACKEND: 'rpc://', PYTHONPATH: PY_DIR, PYTHONDONTWRITEBYTECODE: '1' };
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [join(PY_DIR, 'amqp_app.py'), JSON.stringify(params)], { cwd: PY_DIR, env, timeout: 40_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`amqp_app.py failed: ${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
    });
  });
}

beforeAll(async () => {
  servers = await startServers(1);
  ({ amqp: amqpUrl, redis: redisUrl } = await servers.fresh());
  const config = { broker: amqpUrl, backend: 'rpc://', logger: consoleLogger('silent'), taskRoutes: { 'proj.*': 'pyrpc', 'node.*': 'noderpc' } };
  caller = createApp('rpc-caller', config);
  workerApp = createApp('rpc-worker', config);
  for (const app of [caller, workerApp]) {
    app.task('node.add', (x: number, y: number) => x + y);
    app.task('node.fail', () => {
      throw new TypeError('bad input');
    });
  }
  worker = workerApp.worker({ queues: ['noderpc'], concurrency: 2 });
  await worker.start();
  process.env.AMQP_URL = amqpUrl;
  process.env.REDIS_URL = redisUrl;
  process.env.PY_BACKEND = 'rpc://';
  py = await startPythonWorker(amqpUrl, { queues: ['pyrpc'], name: 'pyrpc', module: 'amqp_app', cwd: PY_DIR, readyTimeout: 40_000 });
  delete process.env.PY_BACKEND;
});

afterAll(async () => {
  await py?.stop();
  await worker?.close();
  await caller?.close();
  await workerApp?.close();
  await servers?.stop();
});

describe('rpc:// result backend', () => {
  it('a celeriac worker in another app sends states to the caller\'s reply queue: get() and state() there', async () => {
    const res = await caller.getTask<[number, number], number>('node.add').delay(2, 3);
    await expect(res.get({ timeout: 20_000 })).resolves.toBe(5);
    expect(await res.state()).toBe('SUCCESS');
    const failed = await caller.sendTask('node.fail', []);
    await expect(failed.get({ timeout: 20_000 })).rejects.toThrow(/bad input/);
    // Only the caller hears of it, as in Celery: another app sees PENDING.
    expect(await workerApp.asyncResult(res.id).state()).toBe('PENDING');
  });

  it('Node → Python: a Python worker with rpc:// replies to celeriac\'s reply queue', async () => {
    const res = await caller.sendTask('proj.add', [20, 22]);
    await expect(res.get({ timeout: 20_000 })).resolves.toBe(42);
    expect(py.logs()).toMatch(/results:\s+rpc:\/\//);
  });

  it('Python → Node: a Python caller with rpc:// gets the celeriac worker\'s result', async () => {
    const out = await runPy<{ ok: boolean; result: unknown }>({ scenario: 'send', task: 'node.add', args: [7, 8], options: { queue: 'noderpc' } });
    expect(out).toMatchObject({ ok: true, result: 15 });
  });
});
