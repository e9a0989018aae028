// The dashboard mounted in Express and Fastify apps on a real Redis: the page at the mount path, the API under
// it, an action (redrive a dead letter, which then runs), a wrong token refused, the app's own routes untouched,
// and, with no token, loopback only: a request a proxy forwarded is refused.
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import { dashboardExpress, type DashboardMiddleware } from '@celeriac/dashboard/express';
import { dashboardFastify } from '@celeriac/dashboard/fastify';
import type { DashboardOptions } from '@celeriac/dashboard';
import { join } from 'node:path';
import { readmeExample } from '../../core/test/support/readme';
import { expressServer, fastifyServer } from '../examples/mount';
import { startEnv, until, type Env } from './support/env';

jest.setTimeout(30_000);

let env: Env;
beforeAll(async () => {
  env = await startEnv('mount');
});
afterAll(async () => {
  await env?.close();
});

const ACTION = { 'x-celeriac-dashboard': '1' };

interface Mounted {
  /** http://127.0.0.1:<port> */
  origin: string;
  close(): Promise<void>;
}

async function mountExpress(options: Omit<DashboardOptions, 'basePath'>): Promise<Mounted> {
  const server = express();
  server.get('/health', (_req, res) => void res.json({ ok: true }));
  server.post('/echo', express.json(), (req, res) => void res.json(req.body));
  const dashboard: DashboardMiddleware = dashboardExpress(env.app, { ...options, basePath: '/admin/tasks' });
  server.use('/admin/tasks', dashboard);
  const http: Server = await new Promise((resolve) => {
    const s = server.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    origin: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    async close() {
      await dashboard.dashboard.close();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}

async function mountFastify(options: Omit<DashboardOptions, 'basePath'>): Promise<Mounted> {
  const server: FastifyInstance = Fastify();
  server.get('/health', async () => ({ ok: true }));
  server.post('/echo', async (req) => req.body);
  await server.register(dashboardFastify, { prefix: '/admin/tasks', app: env.app, ...options });
  const origin = await server.listen({ port: 0, host: '127.0.0.1' });
  return {
    origin,
    async close() {
      await server.close();
    },
  };
}

describe.each([
  ['Express', mountExpress],
  ['Fastify', mountFastify],
])('mounted in %s', (_name, mount) => {
  let m: Mounted | undefined;
  afterEach(async () => {
    await m?.close();
    m = undefined;
  });

  it('serves the page at the mount path, the API under it, and an action (redrive) that works', async () => {
    m = await mount({});
    const page = await fetch(`${m.origin}/admin/tasks/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>celeriac dashboard</title>');
    expect(html).toContain('<base href="/admin/tasks/">');
    expect((await fetch(`${m.origin}/admin/tasks`)).status).toBe(200);
    const overview = (await (await fetch(`${m.origin}/admin/tasks/api/overview`)).json()) as { workers: { hostname: string }[] };
    expect(overview.workers.map((w) => w.hostname)).toContain('mount@test');
    expect(await (await fetch(`${m.origin}/admin/tasks/metrics`)).text()).toContain('celeriac_workers_online');
    expect((await fetch(`${m.origin}/admin/tasks/no/such/page`)).status).toBe(404);
    // The app's own routes are its own.
    expect(await (await fetch(`${m.origin}/health`)).json()).toEqual({ ok: true });
    const echo = await fetch(`${m.origin}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(await echo.json()).toEqual({ a: 1 });

    const sent = await env.app.sendTask('shop.reject_once', [`${_name}-order`]);
    await until(async () => {
      const r = (await (await fetch(`${m!.origin}/admin/tasks/api/dead-letters`)).json()) as { deadLetters: { id: string }[] };
      return r.deadLetters.some((d) => d.id === sent.id);
    });
    // NOTE: a body and a content type the framework might parse do not get in the way.
    const redrive = await fetch(`${m.origin}/admin/tasks/api/dead-letters/${sent.id}/redrive`, { method: 'POST', headers: { ...ACTION, 'content-type': 'application/json' }, body: '{}' });
    expect(await redrive.json()).toEqual({ ok: true, task_id: sent.id, queue: 'celery', action: 'redrive' });
    expect(redrive.status).toBe(200);
    expect(await sent.get({ timeout: 5_000 })).toBe(`shipped ${_name}-order`);
  });

  it('with a token: a wrong one is refused (page and API), the right one and its cookie pass', async () => {
    m = await mount({ token: 'mounted-secret' });
    for (const path of ['/admin/tasks/', '/admin/tasks/api/tasks', '/admin/tasks/metrics']) {
      const r = await fetch(`${m.origin}${path}`, { headers: { authorization: 'Bearer wrong' } });
      expect([path, r.status]).toEqual([path, 401]);
      expect(await r.json()).toEqual({ error: 'not allowed: wrong credentials' });
    }
    expect((await fetch(`${m.origin}/admin/tasks/api/tasks`, { headers: { authorization: 'Bearer mounted-secret' } })).status).toBe(200);
    const login = await fetch(`${m.origin}/admin/tasks/?token=mounted-secret`, { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/admin/tasks/');
    expect(login.headers.get('set-cookie')).toMatch(/Path=\/admin\/tasks\//);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    expect((await fetch(`${m.origin}/admin/tasks/api/overview`, { headers: { cookie } })).status).toBe(200);
  });

  it('read-only: the actions are refused', async () => {
    m = await mount({ readOnly: true });
    const r = await fetch(`${m.origin}/admin/tasks/api/dead-letters/redrive`, { method: 'POST', headers: ACTION });
    expect(r.status).toBe(403);
    expect(await r.json()).toEqual({ error: 'this dashboard is read-only' });
  });

  it('with no token, loopback only: a request a proxy forwarded is refused', async () => {
    m = await mount({});
    const r = await fetch(`${m.origin}/admin/tasks/api/tasks`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(r.status).toBe(403);
    expect(((await r.json()) as { error: string }).error).toContain('came through a proxy: x-forwarded-for');
  });
});

describe('misuse', () => {
  it('dashboardExpress without a basePath says what to set', () => {
    expect(() => dashboardExpress(env.app, {} as never)).toThrow("dashboardExpress: set basePath to the path you mount it at, e.g. { basePath: '/admin/tasks' }");
  });

  it('dashboardFastify without the app says so', async () => {
    const server = Fastify();
    await expect(server.register(dashboardFastify, { prefix: '/d' } as never).ready()).rejects.toThrow('dashboardFastify: pass the celeriac app as the `app` option');
    await server.close();
  });
});

describe('the README example (examples/mount.ts)', () => {
  it('is shown exactly, and mounts the dashboard in both with DASHBOARD_TOKEN', async () => {
    const { shown, actual } = readmeExample(join(__dirname, '../../../README.md'), join(__dirname, '../examples/mount.ts'));
    expect(shown).toBe(actual);
    process.env.DASHBOARD_TOKEN = 'example-token';
    try {
      const e = expressServer(env.app);
      const http: Server = await new Promise((resolve) => {
        const s = e.server.listen(0, '127.0.0.1', () => resolve(s));
      });
      const f = await fastifyServer(env.app);
      const fOrigin = await f.listen({ port: 0, host: '127.0.0.1' });
      try {
        for (const origin of [`http://127.0.0.1:${(http.address() as AddressInfo).port}`, fOrigin]) {
          expect((await fetch(`${origin}/admin/tasks/`)).status).toBe(401);
          expect((await fetch(`${origin}/admin/tasks/`, { headers: { authorization: 'Bearer example-token' } })).status).toBe(200);
        }
      } finally {
        await e.closeDashboard();
        http.closeAllConnections();
        await new Promise((r) => http.close(r));
        await f.close();
      }
    } finally {
      delete process.env.DASHBOARD_TOKEN;
    }
  });
});
