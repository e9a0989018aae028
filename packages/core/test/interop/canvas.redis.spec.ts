// link / link_error, chains, groups and chord bodies across a Python Celery worker and a celeriac worker.
import { randomUUID } from 'node:crypto';
import { ChordError, chain, chord, group, signature, type Celeriac, type Worker } from '../../src';
import type Redis from 'ioredis';
import { until } from '../conformance/harness';
import { rejectionOf } from '../support/rejection';
import { startRedis, type RedisServer } from '../support/redis-server';
import { createInteropApp, runPy, startPythonWorker, type PythonWorker, type PyOutcome } from './support';

jest.setTimeout(30_000);

let redis: RedisServer;
let py: PythonWorker;
let app: Celeriac;
let worker: Worker;
let url: string;
let admin: Redis;

const tasksetKeys = (): Promise<string[]> => admin.keys('celery-taskset-meta-*');

beforeAll(async () => {
  redis = await startRedis({ own: true });
  url = redis.url();
  admin = redis.client();
  ({ app } = createInteropApp(url));
  worker = app.worker({ queues: ['node'], concurrency: 8 });
  [py] = await Promise.all([startPythonWorker(url, { name: 'canvas', queues: ['py'] }), worker.start()]);
});

afterAll(async () => {
  await app?.close();
  await py?.stop();
  await redis?.stop();
});


const T = { timeout: 10_000 };

describe('links from Node', () => {
  it('a Node task linked to a Python task: the Python task gets the Node result', async () => {
    const cbId = randomUUID();
    const res = await app.sendTask('node.add', [2, 3], { link: signature('proj.mul', [10], {}, { taskId: cbId }) });
    await expect(res.get(T)).resolves.toBe(5);
    await expect(app.asyncResult(cbId).get(T)).resolves.toBe(50);
    expect((await res.meta())!.children).toEqual([[[cbId, null], null]]);
    expect(await app.asyncResult(cbId).meta()).toMatchObject({ parent_id: res.id });
  });

  it('and back: a Python task linked to a Node task', async () => {
    const cbId = randomUUID();
    const res = await app.sendTask('proj.add', [1, 2], { link: signature('node.info', [], {}, { taskId: cbId }) });
    await expect(res.get(T)).resolves.toBe(3);
    await expect(app.asyncResult(cbId).get(T)).resolves.toMatchObject({ id: cbId, args: [3], parentId: res.id, rootId: res.id, queue: 'node' });
  });

  it('linkError on a Node task calls a Python errback with the failed task id', async () => {
    const ebId = randomUUID();
    const res = await app.sendTask('node.fail_type', ['bad'], { linkError: signature('proj.on_error', [], {}, { taskId: ebId }) });
    await expect(res.get(T)).rejects.toMatchObject({ excType: 'TypeError', excModule: 'builtins' });
    await expect(app.asyncResult(ebId).get(T)).resolves.toEqual({ failed_id: res.id, state: 'FAILURE', exc_type: 'TypeError', exc_args: ['bad'] });
  });

  it('linkError on a Python task calls a Node errback with the failed task id', async () => {
    const ebId = randomUUID();
    const res = await app.sendTask('proj.fail', ['boom'], { linkError: signature('node.on_error', [], {}, { taskId: ebId }) });
    await expect(res.get(T)).rejects.toMatchObject({ excType: 'ValueError' });
    await expect(app.asyncResult(ebId).get(T)).resolves.toEqual({
      failedId: res.id,
      state: 'FAILURE',
      excType: 'ValueError',
      excModule: 'builtins',
      excMessage: ['boom'],
    });
  });
});

describe('links and canvas from Python', () => {
  it('add.apply_async((1, 2), link=signature("node.mul", args=(10,)))', async () => {
    const out = await runPy<{ parent: PyOutcome; callback: PyOutcome }>(url, { scenario: 'link', task: 'proj.add', args: [1, 2], link: 'node.mul', link_args: [10] });
    expect(out.parent).toMatchObject({ ok: true, result: 3 });
    expect(out.callback).toMatchObject({ ok: true, result: 30 });
  });

  it('link_error=signature("node.on_error"): the Node errback reads the Python error', async () => {
    const out = await runPy<{ parent: PyOutcome; errback: PyOutcome }>(url, { scenario: 'link_error', task: 'proj.fail', args: ['boom'], link_error: 'node.on_error' });
    expect(out.parent).toMatchObject({ ok: false, exc_type: 'ValueError', exc_args: ['boom'] });
    expect(out.errback).toMatchObject({ ok: true, result: { failedId: out.parent.id, excType: 'ValueError', excMessage: ['boom'] } });
  });

  it('a chain of Node tasks sent by Python (embed.chain) runs on the celeriac worker', async () => {
    const out = await runPy<{ last: PyOutcome; ids: string[]; steps: PyOutcome[] }>(url, {
      scenario: 'chain',
      steps: [['node.add', [2, 3]], ['node.mul', [10]], ['node.add', [1]]],
    });
    expect(out.last).toMatchObject({ ok: true, result: 51 });
    expect(out.steps.map((s) => s.result)).toEqual([5, 50, 51]);
    const [first, second, third] = out.ids;
    expect(await app.asyncResult(first!).meta()).toMatchObject({ children: [[[second, null], null]] });
    expect(await app.asyncResult(third!).meta()).toMatchObject({ parent_id: second });
  });

  it('a chain that crosses languages: Node → Python → Node', async () => {
    const out = await runPy<{ last: PyOutcome; steps: PyOutcome[] }>(url, {
      scenario: 'chain',
      steps: [['node.add', [2, 3]], ['proj.mul', [10]], ['node.add', [1]]],
    });
    expect(out.last).toMatchObject({ ok: true, result: 51 });
    expect(out.steps.map((s) => s.result)).toEqual([5, 50, 51]);
  });

  it('a chain whose Node step fails: the remaining steps are stored FAILURE, not left PENDING', async () => {
    const out = await runPy<{ last: PyOutcome; ids: string[]; steps: PyOutcome[] }>(url, {
      scenario: 'chain',
      steps: [['node.add', [2, 3]], ['node.fail_type', []], ['proj.mul', [10]]],
    });
    // (Python's chain get() also re-raises a failed parent's error; the steps are read one by one, without parents.)
    expect(out.last).toMatchObject({ ok: false, exc_type: 'TypeError', exc_args: ['5'] });
    expect(out.steps[0]).toMatchObject({ ok: true, result: 5 });
    expect(out.steps[1]).toMatchObject({ ok: false, exc_type: 'TypeError', exc_args: ['5'], state: 'FAILURE' });
    expect(out.steps[2]).toMatchObject({ ok: false, exc_type: 'TypeError', exc_args: ['5'], state: 'FAILURE' });
    await expect(app.asyncResult(out.ids[2]!).get(T)).rejects.toMatchObject({ excType: 'TypeError', excModule: 'builtins' });
  });

  it('a group of Node tasks sent by Python: GroupResult.get()', async () => {
    const out = await runPy<{ ok: boolean; result: unknown; ids: string[] }>(url, {
      scenario: 'group',
      members: [['node.add', [1, 2]], ['node.mul', [3, 4]]],
    });
    expect(out).toMatchObject({ ok: true, result: [3, 12] });
    const metas = await Promise.all(out.ids.map((id) => app.asyncResult(id).meta()));
    expect(new Set(metas.map((m) => m!.group_id)).size).toBe(1);
    expect(metas[0]!.group_id).toEqual(expect.any(String));
  });

  it('a chord whose header runs on Python and body on Node', async () => {
    const out = await runPy<PyOutcome>(url, { scenario: 'chord', header: [['proj.add', [1, 1]], ['proj.add', [2, 2]]], body: ['node.sum'] });
    expect(out).toMatchObject({ ok: true, result: 6 });
  });

  // Chords built in Python whose header runs (partly) on Node: the celeriac worker counts its parts in Celery's
  // `.j` / `.s` keys, so whichever worker finishes the last part, Node or Python, sends the body.
  it.each([
    ['Python', ['proj.echo'], { args: [[2, 4]], kwargs: {} }],
    ['Node', ['node.sum'], 6],
  ])('a chord built in Python, header on Node, body on %s: completes', async (_where, body, expected) => {
    const out = await runPy<PyOutcome>(url, { scenario: 'chord', header: [['node.add', [1, 1]], ['node.add', [2, 2]]], body });
    expect(out).toMatchObject({ ok: true, result: expected });
    expect(await tasksetKeys()).toEqual([]);
  });

  it('a chord built in Python with one Node and one Python header task: completes', async () => {
    const out = await runPy<PyOutcome>(url, { scenario: 'chord', header: [['proj.add', [1, 1]], ['node.add', [2, 2]], ['proj.add', [3, 3]]], body: ['proj.echo'] });
    expect(out).toMatchObject({ ok: true, result: { args: [[2, 4, 6]], kwargs: {} } });
    // NOTE: a Python worker may count the last part: it deletes the keys after sending the body, which may end first.
    await until(async () => (await tasksetKeys()).length === 0);
  });

  it('a chord built in Python with a chain as its body (node.sum | proj.mul), header on Node: completes', async () => {
    const out = await runPy<PyOutcome>(url, { scenario: 'chord', header: [['node.add', [1, 1]], ['node.add', [2, 2]]], body_chain: [['node.sum'], ['proj.mul', [10]]] });
    expect(out).toMatchObject({ ok: true, result: 60 });
    expect(await tasksetKeys()).toEqual([]);
  });

  it('a chord built in Python whose Node header task fails: the body is FAILURE with a ChordError naming it; no key left', async () => {
    const out = await runPy<PyOutcome>(url, { scenario: 'chord', header: [['node.add', [1, 1]], ['node.fail_type', ['bad']]], body: ['proj.echo'] });
    // NOTE: Python's get() on a chord re-raises a failed header task's own error first (follow_parents).
    expect(out).toMatchObject({ ok: false, exc_type: 'TypeError', exc_module: 'builtins' });
    const err = await rejectionOf(app.asyncResult(out.id).get(T), ChordError);
    expect(String(err.excMessage)).toMatch(/Dependency .* \(node\.fail_type\) raised TypeError\('bad'\)/);
    await until(async () => (await tasksetKeys()).length === 0);
  });
});

describe('canvas built in Node, run by Python workers', () => {
  it('chain(node.add, proj.mul, node.add) built in Node crosses languages; .parent leads back', async () => {
    const res = await chain(app.signature('node.add', [2, 3]), app.signature('proj.mul', [10]), app.signature('node.add', [1])).applyAsync();
    await expect(res.get(T)).resolves.toBe(51);
    await expect((res.parent as typeof res).get(T)).resolves.toBe(50);
  });

  it('a group of Python tasks built in Node: GroupResult.get() in order', async () => {
    const g = await group([app.signature('proj.add', [1, 2]), app.signature('node.mul', [3, 4]), app.signature('proj.mul', [5, 5])]).applyAsync();
    await expect(g.get(T)).resolves.toEqual([3, 12, 25]);
    expect(new Set((await g.metas()).map((m) => m!.group_id))).toEqual(new Set([g.id]));
  });

  it('a chord built in Node, header on Node, body on Python: the Node worker sends the body', async () => {
    const res = await chord([app.signature('node.add', [1, 1]), app.signature('node.add', [2, 2])], app.signature('proj.echo', [], { tag: 'n2p' })).applyAsync();
    await expect(res.get(T)).resolves.toEqual({ args: [[2, 4]], kwargs: { tag: 'n2p' } });
    expect(await tasksetKeys()).toEqual([]);
  });

  it('a chord built in Node, header on Python, body on Node: the Python worker counts and sends the body', async () => {
    const res = await chord([app.signature('proj.add', [1, 1]), app.signature('proj.add', [2, 2]), app.signature('proj.mul', [3, 3])], app.signature('node.sum')).applyAsync();
    await expect(res.get(T)).resolves.toBe(15);
    // NOTE: a Python worker may count the last part: it deletes the keys after sending the body, which may end first.
    await until(async () => (await tasksetKeys()).length === 0);
  });

  it('a chord built in Node with a chain as its body, header on Python: the Python worker sends the chain', async () => {
    const res = await chord([app.signature('proj.add', [1, 1]), app.signature('proj.add', [2, 2])], chain(app.signature('node.sum'), app.signature('proj.mul', [10]))).applyAsync();
    await expect(res.get(T)).resolves.toBe(60);
    await expect((res.parent as typeof res).get(T)).resolves.toBe(6);
  });

  it('a chord built in Node with a mixed header: completes whichever worker counts last', async () => {
    const header = Array.from({ length: 20 }, (_, i) => app.signature(i % 2 ? 'proj.add' : 'node.add', [i, 0]));
    const res = await chord(header, app.signature('node.sum')).applyAsync();
    await expect(res.get(T)).resolves.toBe(190);
    // NOTE: a Python worker may count the last part: it deletes the keys after sending the body, which may end first.
    await until(async () => (await tasksetKeys()).length === 0);
  });

  it('a chord built in Node whose Node header task fails: ChordError, the Python errback runs with the body id', async () => {
    const ebId = randomUUID();
    const res = await chord([app.signature('node.add', [1, 1]), app.signature('node.fail_type', ['bad'])], app.signature('proj.echo')).applyAsync([], {
      linkError: app.signature('proj.on_error', [], {}, { taskId: ebId }),
    });
    const err = await rejectionOf(res.get(T), ChordError);
    expect(String(err.excMessage)).toContain('node.fail_type');
    await expect(app.asyncResult(ebId).get(T)).resolves.toMatchObject({ failed_id: res.id, state: 'FAILURE', exc_type: 'ChordError' });
    await until(async () => (await tasksetKeys()).length === 0);
  });

  it('a chord built in Node whose Python header task fails: ChordError from the Python worker, the Node errback runs', async () => {
    const ebId = randomUUID();
    // NOTE: the Python worker counts this chord's last part, so Celery 5.2's rules apply: it leaves the keys behind
    // on failure (they expire with resultExpires), and it sends the errbacks before it stores the body's FAILURE.
    const res = await chord([app.signature('proj.fail', ['py boom'])], app.signature('node.sum')).applyAsync([], {
      linkError: app.signature('node.on_error', [], {}, { taskId: ebId }),
    });
    const err = await rejectionOf(res.get(T), ChordError);
    expect(String(err.excMessage)).toContain("ValueError('py boom')");
    await expect(app.asyncResult(ebId).get(T)).resolves.toMatchObject({ failedId: res.id });
  });
});
