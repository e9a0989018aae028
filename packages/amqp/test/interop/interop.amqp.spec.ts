// A real Python Celery 5.2 worker and producer (Debian's python3-celery, python3-amqp) and celeriac on one
// rabbitmq-server, both directions, results in one Redis: same queues, same declarations (no 406), same pidbox.
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
let app: Celeriac;
let worker: Worker;
let py: PythonWorker;

const pyEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, AMQP_URL: amqpUrl, REDIS_URL: redisUrl, PYTHONPATH: PY_DIR, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...extra };
  delete env.PYTHONHOME;
  return env;
};

function runPy<T = Record<string, unknown>>(params: Record<string, unknown>, timeout = 40_000, extraEnv: Record<string, string> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [join(PY_DIR, 'amqp_app.py'), JSON.stringify(params)], { cwd: PY_DIR, env: pyEnv(extraEnv), timeout, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`amqp_app.py ${String(params.scenario)} failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new Error(`amqp_app.py printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}

beforeAll(async () => {
  servers = await startServers(2);
  ({ amqp: amqpUrl, redis: redisUrl } = await servers.fresh());
  app = createApp('amqp-interop', {
    broker: amqpUrl,
    backend: redisUrl,
    logger: consoleLogger('silent'),
    taskRoutes: { 'proj.*': 'py', 'node.*': 'node' },
    taskQueues: {
      pytopic: { exchange: 'tasks', exchangeType: 'topic', routingKey: 'pytopic.#' },
      nodetopic: { exchange: 'tasks', exchangeType: 'topic', routingKey: 'nodetopic.#' },
    },
  });
  app.task('node.add', (x: number, y: number) => x + y);
  app.task('node.echo', (...args: unknown[]) => ({ args }));
  worker = app.worker({ queues: ['node'], concurrency: 4 });
  await worker.start();
  // NOTE: the Python worker reads AMQP_URL / REDIS_URL from its environment; startPythonWorker passes process.env
  // and sets BROKER_URL (which Celery honours) to its first argument.
  process.env.AMQP_URL = amqpUrl;
  process.env.REDIS_URL = redisUrl;
  py = await startPythonWorker(amqpUrl, { queues: ['py', 'pytopic'], name: 'pyamqp', module: 'amqp_app', cwd: PY_DIR, readyTimeout: 40_000 });
});

afterAll(async () => {
  await py?.stop();
  await worker?.close();
  await app?.close();
  await servers?.stop();
});

describe('celeriac and Celery 5.2 on one RabbitMQ', () => {
  it('Node → Python: sendTask reaches the Python worker through Celery\'s queue; get() reads its result', async () => {
    const res = await app.sendTask('proj.add', [2, 3]);
    await expect(res.get({ timeout: 20_000 })).resolves.toBe(5);
    expect(py.logs()).toMatch(/transport:\s+amqp:\/\//);
  });

  it('Node → Python: message properties as Celery reads them (routing key, priority, eta)', async () => {
    const eta = new Date(Date.now() + 1_500);
    const res = await app.sendTask('proj.info', [1, 'two'], { eta });
    const info = (await res.get({ timeout: 20_000 })) as { id: string; args: unknown[]; routing_key: string; eta: string; now: number };
    expect(info).toMatchObject({ id: res.id, args: [1, 'two'], routing_key: 'py' });
    expect(new Date(info.eta).getTime()).toBe(eta.getTime());
    expect(info.now * 1000).toBeGreaterThanOrEqual(eta.getTime() - 50);
  });

  it('Python → Node: a Python send_task runs on the celeriac worker and Python\'s get() sees the result', async () => {
    const out = await runPy<{ ok: boolean; result: unknown }>({ scenario: 'send', task: 'node.add', args: [20, 22] });
    expect(out).toMatchObject({ ok: true, result: 42 });
    const kw = await runPy<{ ok: boolean; result: unknown }>({ scenario: 'send', task: 'node.echo', args: [1], kwargs: { a: 1 } });
    expect(kw).toMatchObject({ ok: true, result: { args: [1, { a: 1 }] } });
  });

  it('Python → Node with a countdown: held by RabbitMQ / the worker, run when due', async () => {
    const t0 = Date.now();
    const out = await runPy<{ ok: boolean; result: unknown }>({ scenario: 'send', task: 'node.add', args: [1, 1], options: { countdown: 2 } });
    expect(out).toMatchObject({ ok: true, result: 2 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_000);
  });

  it('a queue declared by one side is declared identically by the other: no 406 either way', async () => {
    // Python declares `pyfirst` (its send_task declares before publishing); then celeriac publishes to and consumes it.
    const first = await runPy<{ ok: boolean; error?: string }>({ scenario: 'send', task: 'node.add', args: [1, 2], options: { queue: 'pyfirst' }, timeout: 1 });
    expect(first.ok).toBe(false); // nobody consumes it yet: a timeout, not a channel error
    const w = app.worker({ queues: ['pyfirst'], concurrency: 1 });
    await w.start();
    const res = await app.sendTask('node.add', [3, 4], { queue: 'pyfirst' });
    await expect(res.get({ timeout: 20_000 })).resolves.toBe(7);
    await w.close();
  });

  it('taskQueues: a topic exchange and routing key declared as in Celery\'s task_queues, both directions', async () => {
    const res = await app.sendTask('proj.info', [7], { queue: 'pytopic' });
    await expect(res.get({ timeout: 20_000 })).resolves.toMatchObject({ args: [7], routing_key: 'pytopic.#' });
    const w = app.worker({ queues: ['nodetopic'], concurrency: 1 });
    await w.start();
    const out = await runPy<{ ok: boolean; result: unknown }>({ scenario: 'send', task: 'node.add', args: [8, 9], options: { queue: 'nodetopic' } });
    expect(out).toMatchObject({ ok: true, result: 17 });
    await w.close();
  });

  it('x-max-priority as Celery\'s task_queue_max_priority: same setting, no 406, priority honoured; a different one is refused', async () => {
    const prio = createApp('amqp-interop-prio', { broker: amqpUrl, backend: redisUrl, logger: consoleLogger('silent'), taskQueueMaxPriority: 10 });
    const order: number[] = [];
    prio.task('node.add', (x: number, y: number) => {
      order.push(x);
      return x + y;
    });
    // Declared by celeriac first (its worker), then Python publishes with the same task_queue_max_priority.
    const w = prio.worker({ queues: ['prio'], concurrency: 1, prefetchMultiplier: 1 });
    await w.start();
    const same = await runPy<{ ok: boolean; result: unknown }>({ scenario: 'send', task: 'node.add', args: [1, 2], options: { queue: 'prio', priority: 5 } }, 40_000, { MAX_PRIORITY: '10' });
    expect(same).toMatchObject({ ok: true, result: 3 });
    // Python without it declares the queue without x-max-priority: RabbitMQ refuses that declaration (Celery raises).
    await expect(runPy({ scenario: 'send', task: 'node.add', args: [1, 2], options: { queue: 'prio' } })).rejects.toThrow(/PRECONDITION_FAILED.*x-max-priority/);
    await w.close();
    // Higher first on RabbitMQ: sent while no worker runs, served 9, 5, 0.
    for (const p of [0, 9, 5]) await prio.getTask<[number, number], number>('node.add').applyAsync([p, 0], { queue: 'prio', priority: p });
    order.length = 0;
    const w2 = prio.worker({ queues: ['prio'], concurrency: 1, prefetchMultiplier: 1 });
    await w2.start();
    const deadline = Date.now() + 10_000;
    while (order.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual([9, 5, 0]);
    await w2.close();
    await prio.close();
  });

  it('revoke from Node is heard by the Python worker (Celery\'s pidbox): the task never runs', async () => {
    const res = await app.sendTask('proj.add', [5, 5], { countdown: 4_000 });
    await new Promise((r) => setTimeout(r, 500));
    await res.revoke();
    await expect(res.get({ timeout: 20_000 })).rejects.toThrow(/revoked/i);
    expect(await res.state()).toBe('REVOKED');
  });

  it('revoke from Python is heard by the celeriac worker', async () => {
    const res = await app.sendTask('node.add', [6, 6], { countdown: 4_000 });
    await new Promise((r) => setTimeout(r, 500));
    await runPy({ scenario: 'revoke', id: res.id });
    await expect(res.get({ timeout: 20_000 })).rejects.toThrow(/revoked/i);
  });

  it('celery inspect ping (Python) sees the celeriac worker', async () => {
    const out = await runPy<{ ok: boolean; replies: Record<string, { ok: string }>[] }>({ scenario: 'ping' });
    const names = out.replies.flatMap((r) => Object.keys(r));
    expect(names).toEqual(expect.arrayContaining([worker.hostname]));
  });
});
