// The plugin itself, through fastify.inject: decorators, options, lifecycle, errors and the README example.
// Run on memory:// and on a real redis-server.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import Fastify from 'fastify';
import { BrokerError, consoleLogger, type Celeriac } from '@celeriac/core';
import celeriac, { celeriac as named } from '@celeriac/fastify';
import { build } from '../../examples/server';
import { openSse } from '../../../core/test/support/sse-client';
import { readmeExample } from '../../../core/test/support/readme';
import { usePlace, type Place } from '../../../core/test/support/status-envs';

const silent = consoleLogger('silent');

export function describePlugin(label: string, makePlace: () => Promise<Place>): void {
  describe(`@celeriac/fastify plugin (${label})`, () => {
    const { place, newApp } = usePlace(makePlace, 'fastify');

    test('decorates fastify.celeriac; reply.accepted() answers 202 { task_id, status_url } with Location', async () => {
      const app = newApp();
      const mail = app.task('plugin.mail', (to: string) => `sent to ${to}`, { queue: `q-${randomUUID()}` });
      const fastify = Fastify();
      await fastify.register(celeriac, { app });
      fastify.post('/mail', async (_req, reply) => reply.accepted(await mail.delay('ann@example.com')));
      expect(fastify.celeriac).toBe(app);
      const res = await fastify.inject({ method: 'POST', url: '/mail' });
      expect(res.statusCode).toBe(202);
      const body = res.json<{ task_id: string; status_url: string }>();
      expect(body).toEqual({ task_id: expect.any(String), status_url: `/tasks/${body.task_id}` });
      expect(res.headers.location).toBe(body.status_url);
      const status = await fastify.inject({ url: body.status_url });
      expect(status.json()).toEqual({ task_id: body.task_id, state: 'PENDING', ready: false });
      expect((await fastify.inject({ url: '/tasks/bad%20id' })).statusCode).toBe(400);
      await fastify.close();
      expect(app.closed).toBe(false); // a given app stays the caller's
    });

    test('the named export is the default one; registering twice is an error naming the package', async () => {
      expect(named).toBe(celeriac);
      const fastify = Fastify();
      await fastify.register(celeriac, { app: newApp() });
      await expect(fastify.register(celeriac, { app: newApp() }).ready()).rejects.toThrow('@celeriac/fastify has already been registered');
      await fastify.close();
    });

    test('options are checked at registration: a bad prefix, something that is not an app', async () => {
      await expect(Fastify().register(celeriac, { app: newApp(), routes: { prefix: 'tasks' } }).ready()).rejects.toThrow(/Expected `prefix` to be a path/);
      await expect(Fastify().register(celeriac, { app: {} as Celeriac }).ready()).rejects.toThrow(/`app` must be a celeriac app/);
    });

    test('closeApp: true closes a given app on close; routes: false mounts no status routes; a custom prefix', async () => {
      const app = newApp();
      const fastify = Fastify();
      await fastify.register(celeriac, { app, closeApp: true, routes: false });
      expect((await fastify.inject({ url: '/tasks/abc' })).statusCode).toBe(404);
      await fastify.close();
      expect(app.closed).toBe(true);
      const other = Fastify();
      await other.register(celeriac, { app: newApp(), routes: { prefix: '/api/jobs/' } });
      other.get('/x', async (_req, reply) => reply.accepted({ id: 'abc' }));
      expect((await other.inject({ url: '/x' })).json()).toEqual({ task_id: 'abc', status_url: '/api/jobs/abc' });
      expect((await other.inject({ url: '/api/jobs/abc' })).json()).toMatchObject({ task_id: 'abc', state: 'PENDING' });
      await other.close();
    });

    test('from a config (with an env namespace) the plugin builds the app, runs an embedded worker, and closes both', async () => {
      const ns = `FASTIFY_${randomUUID().slice(0, 8).toUpperCase()}`;
      process.env[`${ns}_WORKER_CONCURRENCY`] = '3';
      const queue = `emb-${randomUUID()}`;
      const fastify = Fastify();
      try {
        await fastify.register(celeriac, { name: 'from-config', broker: place().url, logger: silent, namespace: ns, worker: { queues: [queue] } });
      } finally {
        delete process.env[`${ns}_WORKER_CONCURRENCY`];
      }
      const app = fastify.celeriac;
      expect(app.name).toBe('from-config');
      expect(app.settings.workerConcurrency).toBe(3);
      const add = app.task('plugin.add', (a: number, b: number) => a + b, { queue });
      await fastify.ready();
      expect(await (await add.delay(2, 3)).get({ timeout: 10_000 })).toBe(5);
      await fastify.close();
      expect(app.closed).toBe(true);
    });

    test('celeriac errors become JSON (503 + Retry-After, 400), other errors reach Fastify’s handler; errorHandler: false leaves them all', async () => {
      const fastify = Fastify();
      await fastify.register(celeriac, { app: newApp(), retryAfter: 7 });
      fastify.get('/down', async () => {
        throw new BrokerError('Redis at redis://:***@db:6379/0 is unreachable');
      });
      fastify.get('/mine', async () => {
        throw Object.assign(new Error('teapot'), { statusCode: 418 });
      });
      const down = await fastify.inject({ url: '/down' });
      expect(down.statusCode).toBe(503);
      expect(down.headers['retry-after']).toBe('7');
      expect(down.json()).toEqual({ error: 'ServiceUnavailable', message: 'The task queue is unavailable; try again later.' });
      expect(down.body).not.toContain('redis://');
      const mine = await fastify.inject({ url: '/mine' });
      expect(mine.statusCode).toBe(418);
      expect(mine.json()).toMatchObject({ message: 'teapot' });
      await fastify.close();

      const plain = Fastify();
      await plain.register(celeriac, { app: newApp(), errorHandler: false });
      plain.setErrorHandler((err, _req, reply) => reply.code(599).send({ own: (err as Error).name }));
      plain.get('/down', async () => {
        throw new BrokerError('down');
      });
      expect((await plain.inject({ url: '/down' })).json()).toEqual({ own: 'BrokerError' });
      await plain.close();
    });

    test('the README example: POST /signup answers 202, the status stream follows the task to SUCCESS', async () => {
      const { shown, actual } = readmeExample(path.join(__dirname, '../../README.md'), path.join(__dirname, '../../examples/server.ts'));
      expect(shown).toBe(actual);
      const server = await build(place().url);
      await server.listen({ host: '127.0.0.1', port: 0 });
      try {
        const base = `http://127.0.0.1:${(server.server.address() as { port: number }).port}`;
        const res = await fetch(`${base}/signup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ann@example.com' }) });
        expect(res.status).toBe(202);
        const { task_id, status_url } = (await res.json()) as { task_id: string; status_url: string };
        const sse = await openSse(`${base}${status_url}/events`, { authorization: 'Bearer staff' });
        await sse.ended;
        expect(JSON.parse(sse.events.at(-1)!.data)).toEqual({ task_id, state: 'SUCCESS', ready: true, result: 'welcome mail sent to ann@example.com' });
        const anon = (await (await fetch(`${base}${status_url}`)).json()) as Record<string, unknown>;
        expect(anon).toEqual({ task_id, state: 'SUCCESS', ready: true });
      } finally {
        await server.close();
      }
    });
  });
}
