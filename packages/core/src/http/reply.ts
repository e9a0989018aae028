// What every HTTP integration (Nest, Fastify, Express) answers around a send: the 202 body that points a browser
// to the task's status route, and celeriac's errors as JSON with the right status code.
import { expected } from '../config';
import { BackendError, BrokerError, CeleriacError, NotRegisteredError, SerializationError, TimeoutError } from '../errors';

/** The body of `202 Accepted` after a send: the id, and where its status is (`<prefix>/<id>`; SSE at `+ '/events'`). */
export interface AcceptedBody {
  task_id: string;
  status_url: string;
}

/**
 * Checks a status-route prefix once (at registration): `'/tasks'`, `'/api/jobs'`; a trailing slash is dropped.
 * @default '/tasks'
 */
export function statusPrefix(prefix: unknown = '/tasks'): string {
  if (typeof prefix !== 'string' || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(prefix) || prefix.includes('//')) {
    throw expected('prefix', "a path starting with '/' (e.g. '/tasks')", prefix);
  }
  return prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/** `{ task_id, status_url }` for a sent task (an AsyncResult, or anything with its `id`). */
export function acceptedBody(result: { readonly id: string }, prefix: string): AcceptedBody {
  const id = result?.id;
  if (typeof id !== 'string' || !id) throw expected('result', 'an AsyncResult (what .delay() resolves to)', result);
  return { task_id: id, status_url: `${prefix === '/' ? '' : prefix}/${encodeURIComponent(id)}` };
}

/** A celeriac error as an HTTP answer. */
export interface ErrorReply {
  statusCode: number;
  headers: Record<string, string>;
  body: { error: string; message: string };
}

export interface ErrorReplyOptions {
  /** Seconds sent in `Retry-After` with a 503 (broker or result backend unreachable). @default 5 */
  retryAfter?: number;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The HTTP answer for an error celeriac threw, or `null` for any other error (the framework's own handler goes on):
 * - `BrokerError` / `BackendError` (Redis down, refused): **503** with `Retry-After`; the message is generic (the
 *   real one names servers: log it, don't show it).
 * - `SerializationError` (arguments JSON cannot carry, message too large): **400** with its message.
 * - `TimeoutError` (a route awaited `result.get({ timeout })`): **504**.
 * - any other celeriac error (an unregistered task, a bad option in the route's code): **500**, generic message.
 */
export function errorReply(err: unknown, options: ErrorReplyOptions = {}): ErrorReply | null {
  if (!(err instanceof CeleriacError)) return null;
  const headers: Record<string, string> = { 'content-type': JSON_TYPE, 'cache-control': 'no-store' };
  if (err instanceof BrokerError || err instanceof BackendError) {
    headers['retry-after'] = String(options.retryAfter ?? 5);
    return { statusCode: 503, headers, body: { error: 'ServiceUnavailable', message: 'The task queue is unavailable; try again later.' } };
  }
  if (err instanceof SerializationError) return { statusCode: 400, headers, body: { error: err.name, message: err.message } };
  if (err instanceof TimeoutError) return { statusCode: 504, headers, body: { error: err.name, message: 'The task did not finish in time.' } };
  const name = err instanceof NotRegisteredError ? 'NotRegisteredError' : 'InternalServerError';
  return { statusCode: 500, headers, body: { error: name, message: 'The server could not handle the task.' } };
}

/** Checks a `retryAfter` option once (integer seconds >= 0). */
export function checkRetryAfter(value: unknown): number {
  if (value === undefined) return 5;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw expected('retryAfter', 'an integer number of seconds >= 0', value);
  return value;
}
