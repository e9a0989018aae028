import { TaskError, TaskRevokedError, errorFromMeta } from '@celeriac/core';
import { exceptionInfo, isExceptionInfo, makeMeta } from '../../src/protocol/result-meta';
import { metas } from '../../src/worker/meta';
import { completeMessage } from '../../src/protocol/message';

const NAIVE_6 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
const ID = 'dfedfd0e-bf92-4ee4-be7b-9ec69710f24c';

describe('makeMeta: Celery result-backend values (celery-wire.md §9)', () => {
  it('SUCCESS has exactly the captured fields, in Celery’s order', () => {
    const before = Date.now();
    const meta = makeMeta(ID, 'SUCCESS', 5, { done: true });
    expect(Object.keys(meta)).toEqual(['status', 'result', 'traceback', 'children', 'date_done', 'task_id']);
    expect(meta).toEqual({ status: 'SUCCESS', result: 5, traceback: null, children: [], date_done: expect.any(String), task_id: ID });
    // date_done: naive UTC, six fraction digits, no offset
    expect(meta.date_done).toMatch(NAIVE_6);
    const done = Date.parse(`${meta.date_done!.slice(0, 23)}Z`);
    expect(done).toBeGreaterThanOrEqual(before - 1);
    expect(done).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('date_done is null unless the state is final', () => {
    expect(makeMeta(ID, 'RETRY', null).date_done).toBeNull();
    expect(makeMeta(ID, 'STARTED', { pid: 1 }).date_done).toBeNull();
    expect(makeMeta(ID, 'PROGRESS', { current: 1 }).date_done).toBeNull();
  });

  it('an undefined result is stored as null (JSON has no undefined)', () => {
    const meta = makeMeta(ID, 'SUCCESS', undefined, { done: true });
    expect(meta.result).toBeNull();
    expect(JSON.parse(JSON.stringify(meta))).toHaveProperty('result', null);
  });

  it('group_id and parent_id appear only when present', () => {
    const plain = makeMeta(ID, 'SUCCESS', 3, { done: true, groupId: null, parentId: null });
    expect(plain).not.toHaveProperty('group_id');
    expect(plain).not.toHaveProperty('parent_id');
    expect(Object.keys(JSON.parse(JSON.stringify(plain)))).toEqual(['status', 'result', 'traceback', 'children', 'date_done', 'task_id']);

    const member = makeMeta(ID, 'SUCCESS', 3, { done: true, groupId: 'g-1' });
    expect(member.group_id).toBe('g-1');
    expect(member).not.toHaveProperty('parent_id');

    const child = makeMeta(ID, 'SUCCESS', 3, { done: true, parentId: 'p-1', children: [[['c', null], null]] });
    expect(child.parent_id).toBe('p-1');
    expect(child.children).toEqual([[['c', null], null]]);
    expect(child).not.toHaveProperty('group_id');
  });

  it('the worker’s metas have Celery’s shape', () => {
    const msg = completeMessage({ id: ID, task: 'interop.flaky', args: [], kwargs: {}, queue: 'celery', parentId: 'p', group: 'g' });
    const retry = metas.retry(msg, null);
    expect(retry).toMatchObject({ status: 'RETRY', result: null, traceback: null, children: [[[ID, null], null]], date_done: null, task_id: ID, parent_id: 'p', group_id: 'g' });
    const failure = metas.failure(msg, new TypeError('bad'));
    expect(failure.status).toBe('FAILURE');
    expect(failure.result).toEqual({ exc_type: 'TypeError', exc_message: ['bad'], exc_module: 'builtins' });
    expect(failure.traceback).toContain('TypeError: bad');
    expect(failure.date_done).toMatch(NAIVE_6);
    const revoked = metas.revoked(msg, 'expired');
    expect(revoked.result).toEqual({ exc_type: 'TaskRevokedError', exc_message: ['expired'], exc_module: 'celery.exceptions' });
    expect(revoked.date_done).toMatch(NAIVE_6);
  });
});

describe('exceptionInfo: JS errors as Python exceptions', () => {
  it.each<[Error, string]>([
    [new TypeError('x'), 'TypeError'],
    [new RangeError('x'), 'ValueError'],
    [new SyntaxError('x'), 'SyntaxError'],
    [new ReferenceError('x'), 'NameError'],
    [new URIError('x'), 'ValueError'],
    [new Error('x'), 'Exception'],
  ])('%s → builtins.%s', (err, pyType) => {
    expect(exceptionInfo(err)).toEqual({ exc_type: pyType, exc_message: ['x'], exc_module: 'builtins' });
  });

  it('a custom error class that sets its name keeps it, in module celeriac', () => {
    class SmtpError extends Error {
      override name = 'SmtpError';
    }
    expect(exceptionInfo(new SmtpError('550 mailbox unavailable'))).toEqual({
      exc_type: 'SmtpError',
      exc_message: ['550 mailbox unavailable'],
      exc_module: 'celeriac',
    });
  });

  it('a custom error class that does not set its name is still named by its class', () => {
    class PaymentDeclined extends Error {}
    class NotAnInteger extends TypeError {}
    expect(exceptionInfo(new PaymentDeclined('card'))).toEqual({ exc_type: 'PaymentDeclined', exc_message: ['card'], exc_module: 'celeriac' });
    expect(exceptionInfo(new NotAnInteger('n'))).toEqual({ exc_type: 'NotAnInteger', exc_message: ['n'], exc_module: 'celeriac' });
  });

  it('a thrown non-Error becomes builtins.Exception with its text', () => {
    expect(exceptionInfo('boom')).toEqual({ exc_type: 'Exception', exc_message: ['boom'], exc_module: 'builtins' });
    expect(exceptionInfo(42)).toEqual({ exc_type: 'Exception', exc_message: ['42'], exc_module: 'builtins' });
  });

  it('isExceptionInfo recognises Celery’s shape', () => {
    expect(isExceptionInfo({ exc_type: 'ValueError', exc_message: ['boom'], exc_module: 'builtins' })).toBe(true);
    expect(isExceptionInfo({ exc_message: ['boom'] })).toBe(false);
    expect(isExceptionInfo(null)).toBe(false);
    expect(isExceptionInfo('ValueError')).toBe(false);
  });
});

describe('errorFromMeta: what result.get() rejects with', () => {
  it('a Python FAILURE reads as a TaskError with Celery’s fields', () => {
    const err = errorFromMeta({
      status: 'FAILURE',
      result: { exc_type: 'ValueError', exc_message: ['boom'], exc_module: 'builtins' },
      traceback: 'Traceback …\nValueError: boom\n',
      children: [],
      date_done: '2026-11-21T19:10:09.836936',
      task_id: ID,
    });
    expect(err).toBeInstanceOf(TaskError);
    expect(err).toMatchObject({ taskId: ID, excType: 'ValueError', excModule: 'builtins', excMessage: ['boom'], remoteTraceback: 'Traceback …\nValueError: boom\n' });
    expect(err.message).toBe('ValueError: boom');
  });

  it('REVOKED reads as a TaskRevokedError with the reason', () => {
    const err = errorFromMeta({
      status: 'REVOKED',
      result: { exc_type: 'TaskRevokedError', exc_message: ['expired'], exc_module: 'celery.exceptions' },
      traceback: null,
      children: [],
      date_done: '2026-11-21T19:10:09.810587',
      task_id: ID,
    });
    expect(err).toBeInstanceOf(TaskRevokedError);
    expect(err.excMessage).toEqual(['expired']);
  });

  it('a celery-node FAILURE with result null still gives a TaskError', () => {
    const err = errorFromMeta({ status: 'FAILURE', result: null, traceback: null, children: [], date_done: null, task_id: ID });
    expect(err).toBeInstanceOf(TaskError);
    expect(err.excType).toBe('Exception');
  });
});

describe('exceptionInfo of a thrown value that is not an Error', () => {
  it.each<[string, unknown, string]>([
    ['a plain object: its JSON', { code: 42 }, '{"code":42}'],
    ['an array', [1, 'a'], '[1,"a"]'],
    ['a string as is', 'boom', 'boom'],
    ['a number', 7, '7'],
    ['a boolean', false, 'false'],
    ['a BigInt', 10n, '10'],
    ['null', null, 'null was thrown (not an Error)'],
    ['undefined', undefined, 'undefined was thrown (not an Error)'],
    ['an object JSON cannot carry: inspected', { n: 10n }, '{ n: 10n }'],
    ['an object without prototype', Object.assign(Object.create(null) as object, { a: 1 }), '{"a":1}'],
    ['an object whose JSON is {}: inspected', new Map([['k', 1]]), "Map(1) { 'k' => 1 }"],
    ['a symbol', Symbol('s'), 'Symbol(s)'],
    ['a function', function named() {}, '[Function: named]'],
  ])('%s', (_what, thrown, message) => {
    expect(exceptionInfo(thrown)).toEqual({ exc_type: 'Exception', exc_message: [message], exc_module: 'builtins' });
  });

  it('an Error whose name is not a string is named Error; its message is always a string', () => {
    const e = new Error('x');
    (e as unknown as { name: unknown }).name = 42;
    expect(exceptionInfo(e)).toEqual({ exc_type: 'Exception', exc_message: ['x'], exc_module: 'builtins' });
  });

  it('a SerializationError is stored as kombu.exceptions.EncodeError', async () => {
    const { SerializationError } = await import('@celeriac/core');
    const meta = metas.failure(completeMessage({ id: 'i', task: 't', args: [], kwargs: {}, queue: 'celery' }), new SerializationError('bad'));
    expect(meta.result).toEqual({ exc_type: 'EncodeError', exc_message: ['bad'], exc_module: 'kombu.exceptions' });
  });
});
