// Node producer → real Python Celery worker: every apply option, seen from Node's AsyncResult.
import { randomUUID } from 'node:crypto';
import { TaskError, TaskRevokedError, type Celeriac, type ResultMeta } from '../../src';
import { startRedis, type RedisServer } from '../support/redis-server';
import { createInteropApp, startPythonWorker, type PythonWorker } from './support';

jest.setTimeout(30_000);

let redis: RedisServer;
let py: PythonWorker;
let app: Celeriac;
// A database other than 0: the pidbox channel (revoke) is per database, `/<db>.celery.pidbox`.
const DB = 3;

beforeAll(async () => {
  redis = await startRedis({ own: true });
  py = await startPythonWorker(redis.url(DB), { name: 'n2p', queues: ['py', 'py2'] });
  ({ app } = createInteropApp(redis.url(DB)));
});

afterAll(async () => {
  await app?.close();
  await py?.stop();
  await redis?.stop();
});

interface PyInfo {
  id: string;
  args: unknown[];
  kwargs: Record<string, unknown>;
  routing_key: string;
  priority: number | null;
  eta: string | null;
  expires: string | null;
  root_id: string;
  parent_id: string | null;
  retries: number;
  now: number;
}

describe('Node → Python worker', () => {
  it('sendTask by name runs on the Python worker; the stored meta is Celery\'s', async () => {
    const res = await app.sendTask<number>('proj.add', [2, 3]);
    await expect(res.get({ timeout: 10_000 })).resolves.toBe(5);
    expect(await res.state()).toBe('SUCCESS');
    const meta = await res.meta();
    expect(meta).toMatchObject({ status: 'SUCCESS', result: 5, task_id: res.id, traceback: null, children: [] });
  });

  it('app.remoteTask gives a typed .delay() for a Python task without registering anything in Node', async () => {
    const add = app.remoteTask<[number, number], number>('proj.add', { queue: 'py' });
    expect(app.registry.has('proj.add')).toBe(false);
    const res = await add.delay(40, 2);
    const sum: number = await res.get({ timeout: 10_000 });
    expect(sum).toBe(42);
    const later = await add.applyAsync([1, 2], { countdown: 300 });
    await expect(later.get({ timeout: 10_000 })).resolves.toBe(3);
  });

  it('.delay() of a task whose worker is Python (a Node-side declaration routed to the Python queue)', async () => {
    // Declares the Python task for typed calls; its body never runs in Node because no celeriac worker consumes 'py'.
    const add = app.task(
      'proj.add',
      (_x: number, _y: number): number => {
        throw new Error('proj.add runs on the Python worker');
      },
      { queue: 'py' },
    );
    const res = await add.delay(20, 22);
    await expect(res.get({ timeout: 10_000 })).resolves.toBe(42);
  });

  it('passes kwargs (applyAsync(args, { kwargs }))', async () => {
    const res = await app.sendTask('proj.echo', [1, 'two'], { kwargs: { a: 1, b: { c: [1, 2] }, s: 'é' } });
    await expect(res.get({ timeout: 10_000 })).resolves.toEqual({ args: [1, 'two'], kwargs: { a: 1, b: { c: [1, 2] }, s: 'é' } });
  });

  it('eta is written with six fraction digits, so Python does not run the task early', async () => {
    // An eta whose milliseconds are .950: written as ".950" Celery 5.2 would read 950 µs and run ~0.95 s early.
    const now = Date.now();
    const eta = Math.ceil((now + 700 - 950) / 1000) * 1000 + 950;
    const res = await app.sendTask<PyInfo>('proj.info', [], { eta: new Date(eta) });
    const info = await res.get({ timeout: 10_000 });
    expect(info.eta).toMatch(/\.950000\+00:00$/);
    expect(Date.parse(info.eta!)).toBe(eta);
    expect(info.now * 1000).toBeGreaterThanOrEqual(eta - 20);
    expect(info.now * 1000).toBeLessThan(eta + 3_000);
  });

  it('countdown delays the task on the Python worker', async () => {
    const sent = Date.now();
    const res = await app.sendTask<PyInfo>('proj.info', [], { countdown: 800 });
    const info = await res.get({ timeout: 10_000 });
    expect(info.eta).not.toBeNull();
    expect(info.now * 1000).toBeGreaterThanOrEqual(sent + 800 - 20);
  });

  it('expires: a task expired on arrival is stored REVOKED ("expired") by Python; a live one runs', async () => {
    const late = await app.sendTask('proj.add', [1, 1], { expires: new Date(Date.now() - 1_000) });
    const err = await late.get({ timeout: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskRevokedError);
    expect((err as TaskRevokedError).excMessage).toEqual(['expired']);
    expect(await late.state()).toBe('REVOKED');

    const live = await app.sendTask<PyInfo>('proj.info', [], { expires: 60_000 });
    const info = await live.get({ timeout: 10_000 });
    expect(info.expires).toMatch(/\.\d{6}\+00:00$/);
  });

  it('a custom taskId is the id Python runs and stores under', async () => {
    const taskId = `node-custom-${randomUUID()}`;
    const res = await app.sendTask<PyInfo>('proj.info', [7], { taskId });
    expect(res.id).toBe(taskId);
    const info = await res.get({ timeout: 10_000 });
    expect(info).toMatchObject({ id: taskId, root_id: taskId, parent_id: null, args: [7] });
  });

  it('queue: the call goes to the named queue', async () => {
    const res = await app.sendTask<PyInfo>('proj.info', [], { queue: 'py2' });
    expect((await res.get({ timeout: 10_000 })).routing_key).toBe('py2');
  });

  it('priority: carried in the message properties and sent to kombu\'s priority list', async () => {
    const res = await app.sendTask<PyInfo>('proj.info', [], { priority: 7 });
    expect((await res.get({ timeout: 10_000 })).priority).toBe(7);
  });

  it('retries done by Python (self.retry) are seen as RETRY, then SUCCESS', async () => {
    const taskId = randomUUID();
    const seen: ResultMeta[] = [];
    const handle = app.asyncResult<{ retries: number }>(taskId);
    const unsubscribe = await handle.subscribe((m) => seen.push(m));
    try {
      await app.sendTask('proj.flaky', [2], { taskId });
      await expect(handle.get({ timeout: 10_000 })).resolves.toEqual({ retries: 2 });
    } finally {
      unsubscribe();
    }
    expect(seen.map((m) => m.status)).toEqual(['RETRY', 'RETRY', 'SUCCESS']);
    expect(seen[0]).toMatchObject({ task_id: taskId, children: [[[taskId, null], null]] });
    expect(seen[2]).toMatchObject({ task_id: taskId, parent_id: taskId });
  });

  it('a Python failure rejects get() with TaskError: excType, excModule, excMessage, traceback', async () => {
    const res = await app.sendTask('proj.fail', ['boom']);
    const err = await res.get({ timeout: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskError);
    expect(err).toMatchObject({ taskId: res.id, excType: 'ValueError', excModule: 'builtins', excMessage: ['boom'], message: 'ValueError: boom' });
    expect((err as TaskError).remoteTraceback).toContain('ValueError: boom');
    expect(await res.state()).toBe('FAILURE');
    expect(await res.failed()).toBe(true);

    const custom = await app.sendTask('proj.fail_custom', ['card declined']);
    await expect(custom.get({ timeout: 10_000 })).rejects.toMatchObject({
      excType: 'InteropError',
      excModule: 'interop_app',
      excMessage: ['card declined'],
    });
  });

  it('revoke from Node reaches the Python worker (pidbox broadcast): the task never runs', async () => {
    const res = await app.sendTask('proj.add', [1, 2], { countdown: 1_500 });
    await res.revoke();
    const err = await res.get({ timeout: 10_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TaskRevokedError);
    expect((err as TaskRevokedError).excMessage).toEqual(['revoked']);
    expect(await res.state()).toBe('REVOKED');
    await py.waitForLog(new RegExp(`Tasks flagged as revoked: ${res.id}`), 1_000);
  });

  it('priority lists are consumed lower number first, FIFO within a priority', async () => {
    // Queued while no worker consumes 'pyprio'; then a one-thread worker takes them (one BRPOP each, priority
    // lists first) and runs them in the order taken. NOTE: its prefetch is above the message count: with
    // -P threads, --without-heartbeat and a prefetch limit it reaches, Celery 5.2.6 was seen to stop fetching.
    const key = `order.${randomUUID()}`;
    const calls: [string, number][] = [['p9a', 9], ['p0a', 0], ['p6', 6], ['p3', 3], ['p9b', 9], ['p0b', 0], ['p5', 5]];
    const results = [];
    for (const [tag, priority] of calls) results.push(await app.sendTask('proj.record', [key, tag], { queue: 'pyprio', priority }));
    const c = redis.client();
    await c.select(DB);
    expect(await Promise.all(['pyprio', 'pyprio\x06\x163', 'pyprio\x06\x166', 'pyprio\x06\x169'].map((k) => c.llen(k)))).toEqual([2, 2, 1, 2]);
    const prio = await startPythonWorker(redis.url(DB), { name: 'n2pprio', queues: ['pyprio'], concurrency: 1, prefetch: 16 });
    try {
      await Promise.all(results.map((r) => r.get({ timeout: 10_000 })));
    } finally {
      await prio.stop();
    }
    expect(await c.lrange(key, 0, -1)).toEqual(['p0a', 'p0b', 'p3', 'p5', 'p6', 'p9a', 'p9b']);
  });
});
