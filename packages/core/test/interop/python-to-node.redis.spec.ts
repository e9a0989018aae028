// Python producer (celery send_task / AsyncResult.get) → celeriac worker.
import { randomUUID } from 'node:crypto';
import type { Celeriac, Worker } from '../../src';
import { startRedis, type RedisServer } from '../support/redis-server';
import { createInteropApp, runPy, type Records, type PyOutcome } from './support';

jest.setTimeout(30_000);

let redis: RedisServer;
let app: Celeriac;
let records: Records;
let worker: Worker;
let url: string;

beforeAll(async () => {
  redis = await startRedis({ own: true });
  url = redis.url(5); // not 0: the pidbox channel (revoke) is per database
  ({ app, records } = createInteropApp(url));
  worker = app.worker({ queues: ['node', 'node2'], concurrency: 8 });
  await worker.start();
});

afterAll(async () => {
  await app?.close();
  await redis?.stop();
});


interface NodeInfo {
  id: string;
  args: unknown[];
  queue: string;
  rootId: string;
  parentId: string | null;
  retries: number;
  now: number;
}

const send = <T = unknown>(task: string, extra: Record<string, unknown> = {}) =>
  runPy<PyOutcome<T> & { sent_at: number }>(url, { scenario: 'send', task, ...extra });

describe('Python producer → celeriac worker', () => {
  it('send_task with args: Python get() sees the result (stored, PUBLISHed, with task_id)', async () => {
    const out = await send('node.add', { args: [2, 3] });
    expect(out).toMatchObject({ ok: true, result: 5 });
    const meta = await app.asyncResult(out.id).meta();
    expect(meta).toMatchObject({ status: 'SUCCESS', result: 5, task_id: out.id });
    expect(meta!.date_done).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
  });

  it('kwargs reach the Node task as one trailing object argument', async () => {
    const out = await send('node.echo', { args: [1, 'two'], kwargs: { a: 1, b: { c: [1, 2] } } });
    expect(out).toMatchObject({ ok: true, result: { args: [1, 'two', { a: 1, b: { c: [1, 2] } }] } });
    const noKwargs = await send('node.echo', { args: [1] });
    expect(noKwargs.result).toEqual({ args: [1] });
  });

  it('countdown: the Node worker waits until Python\'s eta', async () => {
    const out = await send<NodeInfo>('node.info', { options: { countdown: 1.2 } });
    expect(out.ok).toBe(true);
    expect(out.result!.now).toBeGreaterThanOrEqual(out.sent_at * 1000 + 1_200 - 20);
  });

  it('eta (an aware datetime, six fraction digits) is honoured to the millisecond', async () => {
    const out = await send<NodeInfo>('node.info', { options: { eta_in: 0.75 } });
    expect(out.ok).toBe(true);
    expect(out.result!.now).toBeGreaterThanOrEqual(out.sent_at * 1000 + 750 - 20);
    expect(out.result!.now).toBeLessThan(out.sent_at * 1000 + 5_000);
  });

  it('expires: an expired task is stored REVOKED and Python get() raises TaskRevokedError("expired")', async () => {
    const out = await send('node.add', { args: [1, 1], options: { countdown: 0.6, expires: 0.2 } });
    expect(out).toMatchObject({ ok: false, exc_type: 'TaskRevokedError', exc_args: ['expired'], state: 'REVOKED' });
  });

  it('task_id and queue chosen by Python are the ones the Node task sees', async () => {
    const taskId = `py-custom-${randomUUID()}`;
    const out = await send<NodeInfo>('node.info', { args: ['x'], options: { task_id: taskId, queue: 'node2' } });
    expect(out.id).toBe(taskId);
    expect(out.result).toMatchObject({ id: taskId, rootId: taskId, parentId: null, queue: 'node2', args: ['x'] });
  });

  it('a JS TypeError is re-raised by Python as TypeError; a custom Error class by name', async () => {
    const out = await send('node.fail_type', { args: ['bad input'] });
    expect(out).toMatchObject({ ok: false, exc_type: 'TypeError', exc_module: 'builtins', exc_args: ['bad input'], state: 'FAILURE' });
    const custom = await send('node.fail_custom', { args: ['card declined'] });
    expect(custom).toMatchObject({ ok: false, exc_type: 'PaymentDeclined', exc_args: ['card declined'], state: 'FAILURE' });
  });

  it('a Node result JSON cannot carry (10n): Python get() raises kombu.exceptions.EncodeError', async () => {
    const out = await send('node.bigint');
    expect(out).toMatchObject({ ok: false, exc_type: 'EncodeError', exc_module: 'kombu.exceptions', state: 'FAILURE' });
    expect(String(out.exc_args?.[0])).toContain('result is a BigInt');
  });

  it('a task the celeriac worker does not know: Python get() raises celery.exceptions.NotRegistered at once', async () => {
    const out = await send('node.nobody_knows', { args: [1] });
    expect(out).toMatchObject({ ok: false, exc_type: 'NotRegistered', exc_module: 'celery.exceptions', exc_args: ['node.nobody_knows'], state: 'FAILURE' });
    const letters = await app.broker.deadLetters();
    expect(letters.some((l) => l.reason.includes('unknown task "node.nobody_knows"'))).toBe(true);
  });

  it('retries done by the Node task (ctx.retry) end in SUCCESS for Python', async () => {
    const out = await send('node.flaky', { args: [2] });
    expect(out).toMatchObject({ ok: true, result: { retries: 2 } });
  });

  it('revoke() from Python reaches the celeriac worker: the task never runs', async () => {
    const out = await runPy<PyOutcome>(url, { scenario: 'revoke', task: 'node.add', args: [1, 2], options: { countdown: 1.5 } });
    expect(out).toMatchObject({ ok: false, exc_type: 'TaskRevokedError', exc_args: ['revoked'], state: 'REVOKED' });
    expect(await app.asyncResult(out.id).state()).toBe('REVOKED');
  });

  it('priority: Python\'s priority lists are consumed lower number first by a celeriac worker', async () => {
    const key = `order.${randomUUID()}`;
    const calls = ([['p9a', 9], ['p0a', 0], ['p6', 6], ['p3', 3], ['p9b', 9], ['p0b', 0], ['p5', 5]] as const).map(([tag, priority]) => ({
      task: 'node.record',
      args: [key, tag],
      options: { queue: 'nodeprio', priority },
    }));
    const sent = await runPy<{ results: { id: string }[] }>(url, { scenario: 'send_many', calls });
    const c = redis.client();
    await c.select(5);
    expect(await Promise.all(['nodeprio', 'nodeprio\x06\x163', 'nodeprio\x06\x166', 'nodeprio\x06\x169'].map((k) => c.llen(k)))).toEqual([2, 2, 1, 2]);
    const prio = app.worker({ queues: ['nodeprio'], concurrency: 1, prefetchMultiplier: 1 });
    await prio.start();
    try {
      await Promise.all(sent.results.map((r) => app.asyncResult(r.id).get({ timeout: 10_000 })));
    } finally {
      await prio.close();
    }
    expect(records.get(key)).toEqual(['p0a', 'p0b', 'p3', 'p5', 'p6', 'p9a', 'p9b']);
    const back = await runPy<{ results: PyOutcome[] }>(url, { scenario: 'get', ids: sent.results.map((r) => r.id) });
    expect(back.results.map((r) => r.result)).toEqual(['p9a', 'p0a', 'p6', 'p3', 'p9b', 'p0b', 'p5']);
  });
});
