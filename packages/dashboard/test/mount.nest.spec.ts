// The dashboard mounted in a Nest app with mountDashboard, on Nest's Express platform and on its Fastify platform,
// on a real Redis: the page at the mount path, the API under it, an action, a wrong token refused, the app's own
// routes untouched, and app.close() not held open by a live stream.
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { mountDashboard } from '@celeriac/dashboard/nest';
import { startEnv, until, type Env } from './support/env';

jest.setTimeout(30_000);

@Controller()
class HealthController {
  @Get('health')
  health(): { ok: boolean } {
    return { ok: true };
  }
}

@Module({ controllers: [HealthController] })
class AppModule {}

let env: Env;
beforeAll(async () => {
  env = await startEnv('nestmount');
});
afterAll(async () => {
  await env?.close();
});

describe.each([
  ['Express', false],
  ['Fastify', true],
])("mounted in Nest's %s platform", (name, fastify) => {
  it('serves the page and the API under the mount path, runs an action, refuses a wrong token', async () => {
    const app = fastify ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false }) : await NestFactory.create(AppModule, { logger: false });
    app.setGlobalPrefix('api/v1');
    const dashboard = await mountDashboard(app, env.app, { basePath: '/admin/tasks', token: 'nest-secret' });
    await app.listen(0, '127.0.0.1');
    const origin = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    let closed = false;
    try {
      const auth = { authorization: 'Bearer nest-secret' };
      const page = await fetch(`${origin}/admin/tasks/`, { headers: auth });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<base href="/admin/tasks/">');
      expect(dashboard.basePath).toBe('/admin/tasks');
      expect((await fetch(`${origin}/admin/tasks/api/tasks`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${origin}/admin/tasks/`)).status).toBe(401);
      expect(await (await fetch(`${origin}/api/v1/health`)).json()).toEqual({ ok: true });

      const sent = await env.app.sendTask('shop.reject_once', [`nest-${name}`]);
      await until(async () => {
        const r = (await (await fetch(`${origin}/admin/tasks/api/dead-letters`, { headers: auth })).json()) as { deadLetters: { id: string }[] };
        return r.deadLetters.some((d) => d.id === sent.id);
      });
      const redrive = await fetch(`${origin}/admin/tasks/api/dead-letters/${sent.id}/redrive`, { method: 'POST', headers: { ...auth, 'x-celeriac-dashboard': '1' } });
      expect(redrive.status).toBe(200);
      expect(await sent.get({ timeout: 5_000 })).toBe(`shipped nest-${name}`);

      // NOTE: a page left open (its live stream) does not keep app.close() from finishing.
      const controller = new AbortController();
      const stream = await fetch(`${origin}/admin/tasks/api/stream`, { headers: auth, signal: controller.signal });
      expect(stream.headers.get('content-type')).toContain('text/event-stream');
      await app.close();
      closed = true;
      controller.abort();
    } finally {
      if (!closed) await app.close();
    }
  });
});

it('mountDashboard without a basePath says what to set', async () => {
  const app = await NestFactory.create(AppModule, { logger: false });
  await expect(mountDashboard(app, env.app, {} as never)).rejects.toThrow("mountDashboard: set basePath to the path to serve the dashboard at, e.g. { basePath: '/admin/tasks' }");
  await app.close();
});
