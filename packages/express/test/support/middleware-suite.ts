// The middleware, router and error handler through supertest: req.celeriac, res.accepted, options, errors,
// close() and the README example. Run on memory:// and on a real redis-server.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { BrokerError, ConfigurationError, type Celeriac } from '@celeriac/core';
import celeriacDefault, { celeriac } from '@celeriac/express';
import { build } from '../../examples/server';
import { openSse } from '../../../core/test/support/sse-client';
import { readmeExample } from '../../../core/test/support/readme';
import { usePlace, type Place } from '../../../core/test/support/status-envs';

export function describeMiddleware(label: string, makePlace: () => Promise<Place>): void {
  describe(`@celeriac/express (${label})`, () => {
    const { place, newApp } = usePlace(makePlace, 'express');

    test('req.celeriac and res.accepted(): 202 { task_id, status_url } with Location; the router answers status JSON', async () => {
      const app = newApp();
      const mail = app.task('mw.mail', (to: string) => `sent to ${to}`, { queue: `q-${randomUUID()}` });
      const tasks = celeriac({ app });
      const server = express();
      server.use(tasks.middleware);
      server.use('/tasks', tasks.router);
      server.get('/same', (req, res) => void res.json({ same: req.celeriac === app }));
      server.post('/mail', async (_req, res) => void res.accepted(await mail.delay('ann@example.com')));
      expect((await request(server).get('/same')).body).toEqual({ same: true });
      const sent = await request(server).post('/mail').expect(202);
      expect(sent.body).toEqual({ task_id: expect.any(String), status_url: `/tasks/${sent.body.task_id}` });
      expect(sent.headers.location).toBe(sent.body.status_url);
      const status = await request(server).get(sent.body.status_url).expect(200);
      expect(status.headers['cache-control']).toBe('no-store');
      expect(status.body).toEqual({ task_id: sent.body.task_id, state: 'PENDING', ready: false });
      const bad = await request(server).get('/tasks/bad%20id').expect(400);
      expect(bad.body.message).toMatch(/^Malformed task id/);
      await tasks.close();
      expect(app.closed).toBe(true);
    });

    test('options: checked once (prefix, app); a custom prefix; closeApp: false; the default export is celeriac', () => {
      expect(celeriacDefault).toBe(celeriac);
      const app = newApp();
      expect(() => celeriac({ app, prefix: 'jobs' })).toThrow(ConfigurationError);
      expect(() => celeriac({ app: {} as Celeriac })).toThrow(/`app` must be a celeriac app/);
      expect(() => celeriac({ app, retryAfter: -1 })).toThrow(/retryAfter/);
      const tasks = celeriac({ app, prefix: '/api/jobs', closeApp: false });
      const server = express();
      server.use(tasks.middleware);
      server.get('/x', (_req, res) => void res.accepted({ id: 'abc' }));
      return request(server)
        .get('/x')
        .expect(202)
        .then(async (r) => {
          expect(r.body).toEqual({ task_id: 'abc', status_url: '/api/jobs/abc' });
          await tasks.close();
          expect(app.closed).toBe(false);
        });
    });

    test('the error handler answers celeriac errors as JSON (503 + Retry-After, 400) and passes others on', async () => {
      const app = newApp();
      app.task('mw.any', (x: unknown) => x);
      const tasks = celeriac({ app, retryAfter: 9 });
      const server = express();
      server.use(express.json());
      server.use(tasks.middleware);
      server.get('/down', () => {
        throw new BrokerError('Redis at redis://:***@db:6379/0 is unreachable');
      });
      server.get('/bad', async (req) => {
        await req.celeriac.getTask('mw.any').delay(10n);
      });
      server.get('/mine', () => {
        throw new Error('not ours');
      });
      server.use(tasks.errorHandler);
      server.use((err: Error, _req: Request, res: Response, _next: NextFunction) => void res.status(418).json({ passed: err.message }));
      const down = await request(server).get('/down').expect(503);
      expect(down.headers['retry-after']).toBe('9');
      expect(down.body).toEqual({ error: 'ServiceUnavailable', message: 'The task queue is unavailable; try again later.' });
      expect(JSON.stringify(down.body)).not.toContain('redis://');
      const bad = await request(server).get('/bad').expect(400);
      expect(bad.body).toMatchObject({ error: 'SerializationError', message: expect.stringContaining('mw.any') });
      expect((await request(server).get('/mine').expect(418)).body).toEqual({ passed: 'not ours' });
      await tasks.close();
    });

    test('the README example: POST /signup answers 202, the status stream follows the task to SUCCESS', async () => {
      const { shown, actual } = readmeExample(path.join(__dirname, '../../README.md'), path.join(__dirname, '../../examples/server.ts'));
      expect(shown).toBe(actual);
      const { server, app, tasks } = build(place().url);
      const worker = app.worker({ concurrency: 5 });
      await worker.start();
      const signup = await request(server).post('/signup').send({ email: 'ann@example.com' }).expect(202);
      const { task_id, status_url } = signup.body as { task_id: string; status_url: string };
      const http = server.listen(0, '127.0.0.1');
      await new Promise((r) => http.once('listening', r));
      try {
        const base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
        const sse = await openSse(`${base}${status_url}/events`, { authorization: 'Bearer staff' });
        await sse.ended;
        expect(JSON.parse(sse.events.at(-1)!.data)).toEqual({ task_id, state: 'SUCCESS', ready: true, result: 'welcome mail sent to ann@example.com' });
        expect((await request(server).get(status_url).expect(200)).body).toEqual({ task_id, state: 'SUCCESS', ready: true });
      } finally {
        await tasks.close();
        await new Promise((r) => http.close(r));
      }
    });
  });
}
