import { ConfigurationError, NotRegisteredError, Signature, createApp, signature, type TaskOptions } from '@celeriac/core';
import { createTestApp } from '@celeriac/core/testing';
import { exponentialBackoff } from '../../src/backoff';
import { TaskRegistry } from '../../src/registry';
import type { SignatureDict } from '../../src/protocol/message';

describe('exponentialBackoff', () => {
  it('doubles from the base, without jitter', () => {
    expect([0, 1, 2, 3, 4].map((r) => exponentialBackoff(1_000, r, 600_000, false))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
  });

  it('is capped at max', () => {
    expect(exponentialBackoff(1_000, 10, 600_000, false)).toBe(600_000);
    expect(exponentialBackoff(1_000, 1_000, 600_000, false)).toBe(600_000);
    expect(exponentialBackoff(5_000, 2, 12_000, false)).toBe(12_000);
  });

  it('full jitter: a random share of the capped delay', () => {
    expect(exponentialBackoff(1_000, 3, 600_000, true, () => 0.5)).toBe(4_000);
    expect(exponentialBackoff(1_000, 3, 600_000, true, () => 0)).toBe(0);
    expect(exponentialBackoff(1_000, 20, 600_000, true, () => 0.999)).toBe(599_400);
    for (let i = 0; i < 100; i++) {
      const d = exponentialBackoff(1_000, 2, 600_000, true);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(4_000);
      expect(Number.isInteger(d)).toBe(true);
    }
  });
});

describe('TaskRegistry', () => {
  const fn = () => 1;

  it('registers and finds tasks by name', () => {
    const r = new TaskRegistry();
    r.register({ name: 'b.two', fn, bind: false, options: {} });
    r.register({ name: 'a.one', fn, bind: false, options: {} });
    expect(r.has('a.one')).toBe(true);
    expect(r.get('a.one')?.fn).toBe(fn);
    expect(r.get('nope')).toBeUndefined();
    expect(r.names()).toEqual(['a.one', 'b.two']);
  });

  it('require() of an unknown name is a NotRegisteredError naming it', () => {
    const r = new TaskRegistry();
    expect(() => r.require('users.missing')).toThrow(NotRegisteredError);
    expect(() => r.require('users.missing')).toThrow(/"users\.missing" is not registered/);
  });

  it('the same name with the same function again is fine (a module loaded twice)', () => {
    const r = new TaskRegistry();
    r.register({ name: 't', fn, bind: false, options: {} });
    expect(() => r.register({ name: 't', fn, bind: false, options: { queue: 'q' } })).not.toThrow();
    expect(r.get('t')?.options).toEqual({ queue: 'q' });
  });

  it('a duplicate name with another function is an error', () => {
    const r = new TaskRegistry();
    r.register({ name: 'users.send', fn, bind: false, options: {} });
    expect(() => r.register({ name: 'users.send', fn: () => 2, bind: false, options: {} })).toThrow(ConfigurationError);
    expect(() => r.register({ name: 'users.send', fn: () => 2, bind: false, options: {} })).toThrow(/"users\.send" is already registered with another function/);
    expect(r.get('users.send')?.fn).toBe(fn);
  });

  it.each([[''], ['   ']])('an empty name (%j) is an error', (name) => {
    const r = new TaskRegistry();
    expect(() => r.register({ name, fn, bind: false, options: {} })).toThrow(ConfigurationError);
    expect(() => r.register({ name, fn, bind: false, options: {} })).toThrow(/task name to be a non-empty string/);
    expect(r.names()).toEqual([]);
  });

  it('a non-function is an error', () => {
    const r = new TaskRegistry();
    expect(() => r.register({ name: 't', fn: 'nope' as never, bind: false, options: {} })).toThrow(/expected a function, got string/);
  });

  it('app.task() goes through it', () => {
    const app = createApp('reg');
    app.task('users.send', (to: string) => to);
    expect(() => app.task('users.send', (to: string) => `${to}!`)).toThrow(/already registered/);
    expect(() => app.task('', () => 1)).toThrow(ConfigurationError);
    expect(app.registry.names()).toEqual(['users.send']);
  });
});

describe('Signature toDict / fromDict', () => {
  // celery-wire.md §13: the chain signature a Python client embeds
  const PY: SignatureDict = {
    task: 'interop.mul',
    args: [10],
    kwargs: {},
    options: { task_id: 'eca660c8-eafc-45a2-8c24-5c50a1e70f8c', reply_to: '3d042157-5cdd-3d51-97eb-1aee34ae1ae0' },
    subtask_type: null,
    immutable: false,
  };

  it('toDict has Celery’s keys; countdown in seconds', () => {
    const d = new Signature('t.cb', [1, 'a'], { k: 2 }, { taskId: 'id-1', queue: 'mail', priority: 3, countdown: 1_500 }, true).toDict();
    expect(Object.keys(d)).toEqual(Object.keys(PY));
    expect(d).toEqual({
      task: 't.cb',
      args: [1, 'a'],
      kwargs: { k: 2 },
      options: { task_id: 'id-1', queue: 'mail', priority: 3, countdown: 1.5 },
      subtask_type: null,
      immutable: true,
    });
  });

  it('toDict of a bare signature has empty options', () => {
    expect(signature('proj.add', [2, 3]).toDict()).toEqual({ task: 'proj.add', args: [2, 3], kwargs: {}, options: {}, subtask_type: null, immutable: false });
  });

  it('fromDict reads a Python signature', () => {
    const s = Signature.fromDict(PY);
    expect(s.task).toBe('interop.mul');
    expect(s.args).toEqual([10]);
    expect(s.kwargs).toEqual({});
    expect(s.options).toEqual({ taskId: 'eca660c8-eafc-45a2-8c24-5c50a1e70f8c' });
    expect(s.immutable).toBe(false);
  });

  it('fromDict converts countdown seconds to ms and tolerates missing parts', () => {
    const s = Signature.fromDict({ task: 't', options: { countdown: 2.5, queue: 'q', priority: 9 }, immutable: true } as unknown as SignatureDict);
    expect(s.options).toEqual({ countdown: 2_500, queue: 'q', priority: 9 });
    expect(s.args).toEqual([]);
    expect(s.kwargs).toEqual({});
    expect(s.immutable).toBe(true);
  });

  it('fromDict reads options as a Celery worker would: priority clamped to 0–9, wrong types and negative countdowns ignored', () => {
    const read = (options: Record<string, unknown>) => Signature.fromDict({ task: 't', options } as unknown as SignatureDict).options;
    expect(read({ priority: 12 })).toEqual({ priority: 9 });
    expect(read({ priority: -3 })).toEqual({ priority: 0 });
    expect(read({ priority: 4.7 })).toEqual({ priority: 4 });
    expect(read({ priority: 'high', queue: '', task_id: 5, countdown: -1 })).toEqual({});
    // A follow-up built from such a signature is sent rather than failing the task that already ran.
    const app = createTestApp();
    const parent = app.producer.build('t.parent', []);
    const next = app.producer.followUp(parent, { task: 't.cb', args: [], kwargs: {}, options: { priority: 12 }, subtask_type: null, immutable: false }, [1]);
    expect(next.priority).toBe(9);
    expect(next.parentId).toBe(parent.id);
  });

  it('round-trips', () => {
    const s = new Signature('t.cb', [1, { a: [2] }], { k: 'v' }, { taskId: 'x', queue: 'q', priority: 0, countdown: 250 }, true);
    expect(Signature.fromDict(s.toDict())).toEqual(s);
    expect(Signature.fromDict(JSON.parse(JSON.stringify(s.toDict())) as SignatureDict).toDict()).toEqual(s.toDict());
  });

  it('task.s() / .si() build signatures of the task', () => {
    const app = createApp('sig');
    const add = app.task('t.add', (a: number, b: number) => a + b);
    expect(add.s(1).toDict()).toMatchObject({ task: 't.add', args: [1], immutable: false });
    expect(add.si(1, 2).toDict()).toMatchObject({ task: 't.add', args: [1, 2], immutable: true });
  });

  it('link signatures travel in the body’s callbacks / errbacks', () => {
    const app = createTestApp('links');
    const msg = app.buildMessage('t.x', [1], { link: signature('t.cb', [], {}, { queue: 'q' }), linkError: [signature('t.eb'), signature('t.eb2')] });
    expect(msg.callbacks).toEqual([{ task: 't.cb', args: [], kwargs: {}, options: { queue: 'q' }, subtask_type: null, immutable: false }]);
    expect(msg.errbacks?.map((d) => d.task)).toEqual(['t.eb', 't.eb2']);
  });
});

describe('task options validation', () => {
  const app = createApp('opts');
  const fn = () => 1;

  it.each<[string, TaskOptions, string]>([
    ['maxRetries -1', { maxRetries: -1 }, 'Expected `task "mail.send" option maxRetries` to be an integer >= 0, got `-1` (number)'],
    ['maxRetries 1.5', { maxRetries: 1.5 }, 'Expected `task "mail.send" option maxRetries` to be an integer >= 0, got `1.5` (number)'],
    ['timeLimit 0', { timeLimit: 0 }, 'Expected `task "mail.send" option timeLimit` to be an integer >= 1, got `0` (number)'],
    ['defaultRetryDelay "5s"', { defaultRetryDelay: '5s' as unknown as number }, 'Expected `task "mail.send" option defaultRetryDelay` to be an integer >= 0, got `"5s"` (string)'],
    ['retryBackoffMax -5', { retryBackoffMax: -5 }, 'Expected `task "mail.send" option retryBackoffMax` to be an integer >= 0, got `-5` (number)'],
    ['queue ""', { queue: '' }, 'Expected `task "mail.send" option queue` to be a non-empty string, got `""` (string)'],
    ['autoretryFor a string', { autoretryFor: 'SmtpError' as never }, 'Expected `task "mail.send" option autoretryFor` to be an array of error classes or a predicate, got `"SmtpError"` (string)'],
  ])('%s is an error naming the task', (_what, options, message) => {
    expect(() => app.task('mail.send', fn, options as TaskOptions & { bind?: false })).toThrow(ConfigurationError);
    expect(() => app.task('mail.send', fn, options as TaskOptions & { bind?: false })).toThrow(message);
    expect(app.registry.has('mail.send')).toBe(false);
  });

  it.each([[-1], [10], [2.5]])('priority %p is an error', (priority) => {
    expect(() => app.task('mail.prio', fn, { priority })).toThrow('Expected `priority` to be an integer from 0 to 9');
  });

  it('valid options are kept, frozen, on the task', () => {
    class SmtpError extends Error {}
    const t = app.task('mail.ok', fn, { maxRetries: 0, timeLimit: 30_000, queue: 'mail', priority: 9, autoretryFor: [SmtpError], retryBackoff: true });
    expect(t.taskName).toBe('mail.ok');
    expect(t.options).toMatchObject({ maxRetries: 0, timeLimit: 30_000, queue: 'mail', priority: 9, retryBackoff: true });
    expect(Object.isFrozen(t.options)).toBe(true);
    expect(app.route('mail.ok')).toEqual({ queue: 'mail', priority: 9 });
  });

  it('call options are validated at .applyAsync()', async () => {
    const test = createTestApp('apply-opts');
    const t = test.task('t.apply', (n: number) => n);
    await expect(t.applyAsync([1], { countdown: -1 })).rejects.toThrow('Expected `countdown` to be a number of milliseconds >= 0, got `-1` (number)');
    await expect(t.applyAsync([1], { priority: 11 })).rejects.toThrow('Expected `priority` to be an integer from 0 to 9, got `11` (number)');
    await expect(t.applyAsync([1], { taskId: '' })).rejects.toThrow('Expected `taskId` to be a non-empty string');
    await expect(t.applyAsync([1], { expires: 'soon' as never })).rejects.toThrow('Expected `expires` to be a Date or a number of milliseconds');
    await expect(t.applyAsync([1], { eta: new Date('nonsense') })).rejects.toThrow('Expected `eta` to be a Date or a number of milliseconds');
    await expect(t.applyAsync(5 as never)).rejects.toThrow('Expected `args` to be an array');
    expect(await test.broker.queueLength('celery')).toBe(0);
    await test.close();
  });
});
