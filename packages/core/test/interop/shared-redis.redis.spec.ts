// A Python Celery worker and a celeriac worker consuming the same queue on the same Redis: every task runs
// exactly once, and neither side's bookkeeping (kombu's unacked / unacked_index, priority lists, result keys,
// celeriac.*) is disturbed by the other.
import type Redis from 'ioredis';
import type { Celeriac, Worker } from '../../src';
import { startRedis, type RedisServer } from '../support/redis-server';
import { createInteropApp, eventually, runPy, startPythonWorker, type PythonWorker } from './support';

jest.setTimeout(40_000);

let redis: RedisServer;
let py: PythonWorker;
let app: Celeriac;
let worker: Worker;
let url: string;
let c: Redis;

beforeAll(async () => {
  redis = await startRedis({ own: true });
  url = redis.url();
  c = redis.client();
  ({ app } = createInteropApp(url));
  worker = app.worker({ queues: ['shared'], concurrency: 4 });
  [py] = await Promise.all([startPythonWorker(url, { name: 'shared', queues: ['shared'], concurrency: 4 }), worker.start()]);
});

afterAll(async () => {
  await app?.close();
  await py?.stop();
  await redis?.stop();
});

const KNOWN_KEYS = [/^celery-task-meta-/, /^_kombu\.binding\./, /^celeriac\./, /^unacked$/, /^unacked_index$/, /^unacked_mutex$/];

/** Checks, while both workers run, that kombu's and celeriac's keys keep their types and formats. */
async function checkBookkeeping(seen: { pyUnacked: number; nodeHeld: number }): Promise<void> {
  const [tUnacked, tIndex] = await Promise.all([c.type('unacked'), c.type('unacked_index')]);
  expect(['hash', 'none']).toContain(tUnacked);
  expect(['zset', 'none']).toContain(tIndex);
  const entries = await c.hvals('unacked');
  seen.pyUnacked = Math.max(seen.pyUnacked, entries.length);
  for (const e of entries) {
    const [envelope, exchange, routingKey] = JSON.parse(e) as [{ headers: { task: string } }, string, string];
    expect([envelope.headers.task, exchange, routingKey]).toEqual(['shared.add', '', 'shared']);
  }
  for (const key of await c.keys('celeriac.unacked.*')) {
    const held = await c.hvals(key);
    seen.nodeHeld = Math.max(seen.nodeHeld, held.length);
    for (const v of held) expect(v).toMatch(/^shared(\x06\x16[369])?\n\{/);
  }
}

describe('a Python worker and a celeriac worker on the same queue', () => {
  it('share the work without losing, duplicating or corrupting anything', async () => {
    const nodeCalls = Array.from({ length: 24 }, (_, i) => ({ args: [i, 1000] as [number, number], priority: [0, 3, 6, 9][i % 4]!, countdown: i % 6 === 0 ? 400 : undefined }));
    const pyCalls = Array.from({ length: 24 }, (_, i) => ({
      task: 'shared.add',
      args: [i, 2000],
      options: { priority: [9, 6, 3, 0][i % 4], ...(i % 6 === 0 ? { countdown: 0.4 } : {}) },
    }));

    const seen = { pyUnacked: 0, nodeHeld: 0 };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        await checkBookkeeping(seen);
        await new Promise((r) => setTimeout(r, 15));
      }
    })();

    const [nodeResults, pySent] = await Promise.all([
      Promise.all(nodeCalls.map((call) => app.sendTask<{ sum: number; by: string }>('shared.add', call.args, { priority: call.priority, ...(call.countdown ? { countdown: call.countdown } : {}) }))),
      runPy<{ results: { id: string }[] }>(url, { scenario: 'send_many', calls: pyCalls }),
    ]);
    const ids = [...nodeResults.map((r) => r.id), ...pySent.results.map((r) => r.id)];
    expect(new Set(ids).size).toBe(48);

    const values = await Promise.all(ids.map((id) => app.asyncResult<{ sum: number; by: string }>(id).get({ timeout: 15_000 })));
    sampling = false;
    await sampler;

    expect(values.map((v) => v.sum)).toEqual([...nodeCalls.map((x) => x.args[0] + 1000), ...pyCalls.map((x) => x.args[0] + 2000)]);
    const by = values.map((v) => v.by);
    expect(by).toContain('py');
    expect(by).toContain('node');
    expect(seen.pyUnacked).toBeGreaterThan(0);
    expect(seen.nodeHeld).toBeGreaterThan(0);

    // Every result is Celery's meta with its own task_id, readable by Python too.
    for (const id of ids) expect(await app.asyncResult(id).meta()).toMatchObject({ status: 'SUCCESS', task_id: id });
    const fromPy = await runPy<{ results: { id: string; ok: boolean; result: { sum: number } }[] }>(url, { scenario: 'get', ids });
    expect(fromPy.results.map((r) => r.ok && r.result.sum)).toEqual(values.map((v) => v.sum));

    // Once both are idle: kombu's unacked bookkeeping and celeriac's are empty, nothing dead-lettered, queues empty.
    await eventually(async () => (await c.hlen('unacked')) === 0 && (await c.zcard('unacked_index')) === 0, 5_000, 'the Python worker to ack');
    for (const key of await c.keys('celeriac.unacked.*')) expect(await c.hlen(key)).toBe(0);
    expect(await c.zcard('celeriac.delayed')).toBe(0);
    expect(await c.llen('celeriac.deadletter')).toBe(0);
    for (const list of ['shared', 'shared\x06\x163', 'shared\x06\x166', 'shared\x06\x169']) expect(await c.llen(list)).toBe(0);
    expect(await c.smembers('_kombu.binding.shared')).toEqual(['shared\x06\x16\x06\x16shared']);
    const unknown = (await c.keys('*')).filter((k) => !KNOWN_KEYS.some((re) => re.test(k)));
    expect(unknown).toEqual([]);
    expect(py.logs().split('\n').filter((l) => /: (ERROR|CRITICAL|WARNING)\/|Traceback|unregistered/.test(l))).toEqual([]);
  });
});
