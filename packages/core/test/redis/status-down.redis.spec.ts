// The status routes while Redis is away: a clear BackendError within brokerConnectionTimeout, nothing written,
// so the framework answers (503); never a hang.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { BackendError, consoleLogger, createApp, createStatusHandler, type Celeriac } from '../../src';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;
let app: Celeriac;

beforeAll(async () => {
  redis = await startRedis({ own: true });
  app = createApp('status-down', { broker: redis.url(), brokerConnectionTimeout: 500, logger: consoleLogger('silent') });
});
afterAll(async () => {
  await app.close();
  await redis.stop();
});

test('json() and stream() reject with BackendError before writing anything, and watch() throws', async () => {
  const handler = createStatusHandler(app);
  const id = randomUUID();
  expect((await handler.json(id, null)).body).toEqual({ task_id: id, state: 'PENDING', ready: false });
  await redis.kill();
  const t0 = Date.now();
  await expect(handler.json(id, null)).rejects.toThrow(BackendError);
  expect(Date.now() - t0).toBeLessThan(5_000);

  const errors: unknown[] = [];
  const server = http.createServer((req, res) => {
    handler.stream(id, req, res).catch((err: Error) => {
      errors.push(err);
      res.writeHead(res.headersSent ? 500 : 503, { 'retry-after': '1' }).end(JSON.stringify({ message: err.message }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { message: string }).message).toMatch(/Redis at .* (is unreachable|did not answer)/);
    expect(errors[0]).toBeInstanceOf(BackendError);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  await expect(app.asyncResult(id).watch().next()).rejects.toThrow(BackendError);
  await redis.restart();
  // Once Redis is back, the status works again and no subscription of the failed attempts lingers.
  expect((await handler.json(id, null)).body).toEqual({ task_id: id, state: 'PENDING', ready: false });
  const admin = redis.client();
  // A watch on another id proves the subscriber connection is back (and has sent whatever it had queued).
  for await (const s of app.asyncResult(randomUUID()).watch()) {
    expect(s.state).toBe('PENDING');
    break;
  }
  expect(await admin.pubsub('NUMSUB', `celery-task-meta-${id}`)).toEqual([`celery-task-meta-${id}`, 0]);
});
