// The HTTP helpers every integration answers with: the 202 body, the route prefix, celeriac errors as HTTP answers.
import {
  BackendError,
  BrokerError,
  ConfigurationError,
  NotRegisteredError,
  SerializationError,
  TaskError,
  TimeoutError,
  acceptedBody,
  checkRetryAfter,
  errorReply,
  statusPrefix,
} from '../../src';

describe('HTTP helpers', () => {
  test('acceptedBody: the id and the JSON status route under the prefix (id encoded)', () => {
    expect(acceptedBody({ id: 'abc' }, '/tasks')).toEqual({ task_id: 'abc', status_url: '/tasks/abc' });
    expect(acceptedBody({ id: 'a:b@c' }, '/')).toEqual({ task_id: 'a:b@c', status_url: '/a%3Ab%40c' });
    expect(() => acceptedBody('abc' as never, '/tasks')).toThrow(/Expected `result` to be an AsyncResult/);
  });

  test('statusPrefix: default /tasks, trailing slash dropped, anything else refused', () => {
    expect(statusPrefix()).toBe('/tasks');
    expect(statusPrefix('/api/jobs/')).toBe('/api/jobs');
    expect(statusPrefix('/')).toBe('/');
    for (const bad of ['tasks', '', '//x', '/a b', 42]) expect(() => statusPrefix(bad)).toThrow(ConfigurationError);
  });

  test('errorReply: 503 + Retry-After for the broker and backend, 400, 504, 500 generic; null for other errors', () => {
    for (const err of [new BrokerError('Redis at redis://:***@h:6379/0 is down'), new BackendError('gone')]) {
      const r = errorReply(err, { retryAfter: 3 })!;
      expect(r.statusCode).toBe(503);
      expect(r.headers['retry-after']).toBe('3');
      expect(r.body).toEqual({ error: 'ServiceUnavailable', message: 'The task queue is unavailable; try again later.' });
    }
    expect(errorReply(new BrokerError('x'))!.headers['retry-after']).toBe('5');
    expect(errorReply(new SerializationError('Cannot send task "a": argument 1 is a BigInt'))).toMatchObject({
      statusCode: 400,
      body: { error: 'SerializationError', message: 'Cannot send task "a": argument 1 is a BigInt' },
    });
    expect(errorReply(new TimeoutError('id', 10))).toMatchObject({ statusCode: 504, body: { error: 'TimeoutError' } });
    expect(errorReply(new NotRegisteredError('a.b'))).toMatchObject({ statusCode: 500, body: { error: 'NotRegisteredError', message: 'The server could not handle the task.' } });
    const failed = errorReply(new TaskError({ taskId: 'x', excType: 'ValueError', excMessage: ['secret detail'] }))!;
    expect(failed.statusCode).toBe(500);
    expect(JSON.stringify(failed.body)).not.toContain('secret');
    expect(errorReply(new Error('not ours'))).toBeNull();
    expect(errorReply('a string')).toBeNull();
  });

  test('checkRetryAfter: whole seconds >= 0', () => {
    expect(checkRetryAfter(undefined)).toBe(5);
    expect(checkRetryAfter(0)).toBe(0);
    for (const bad of [-1, 1.5, '5']) expect(() => checkRetryAfter(bad)).toThrow(/Expected `retryAfter`/);
  });
});
