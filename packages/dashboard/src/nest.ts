// @celeriac/dashboard/nest: mounts the dashboard in a Nest app, on its Express platform (as a middleware) or its
// Fastify platform (as a plugin), from main.ts before `listen()`:
//   const app = await NestFactory.create(AppModule);
//   await mountDashboard(app, app.get(CELERIAC_APP), { basePath: '/admin/tasks', token: process.env.DASHBOARD_TOKEN });
//   await app.listen(3000);
// Nothing is imported from Nest, Express or Fastify (optional peer dependencies): Nest's app is described by the
// few methods used here.
import type { Server } from 'node:http';
import type { Celeriac } from '@celeriac/core';
import type { FastifyInstance } from 'fastify';
import { createDashboard, type Dashboard, type DashboardOptions } from './dashboard';
import { middlewareFor } from './express';
import { serveOnFastify } from './fastify';

/** What is used of Nest's `INestApplication` (the Express or Fastify platform). */
export interface NestAppLike {
  getHttpAdapter(): { getType(): string; getInstance(): unknown };
  getHttpServer(): unknown;
  use(...args: never[]): unknown;
}

export interface NestDashboardOptions extends DashboardOptions {
  /** Where the dashboard is served (`/admin/tasks`); Nest's global prefix does not apply to it. */
  basePath: string;
}

/**
 * Mounts the dashboard and returns it. `app.close()` closes the dashboard first (its live streams would otherwise
 * keep the HTTP server from closing).
 */
export async function mountDashboard(nestApp: NestAppLike, celeriac: Celeriac, options: NestDashboardOptions): Promise<Dashboard> {
  if (!options?.basePath) throw new Error("mountDashboard: set basePath to the path to serve the dashboard at, e.g. { basePath: '/admin/tasks' }");
  const adapter = nestApp.getHttpAdapter();
  const type = adapter.getType();
  const dashboard = createDashboard(celeriac, options);
  if (type === 'express') {
    (nestApp.use as (path: string, mw: ReturnType<typeof middlewareFor>) => unknown)(options.basePath, middlewareFor(dashboard));
    // NOTE: Nest's app object refuses new properties, so the HTTP server's close() is what closes the dashboard
    // first (Nest calls it from app.close()); on Fastify the plugin's preClose hook does it.
    const server = nestApp.getHttpServer() as Server;
    const serverClose = server.close.bind(server);
    server.close = ((done?: (err?: Error) => void) => {
      void dashboard.close().finally(() => serverClose(done));
      return server;
    }) as Server['close'];
  } else if (type === 'fastify') {
    const fastify = adapter.getInstance() as FastifyInstance;
    await fastify.register(async (scope) => serveOnFastify(scope, dashboard), { prefix: options.basePath });
  } else {
    throw new Error(`mountDashboard: Nest's ${JSON.stringify(type)} platform is not supported (express and fastify are)`);
  }
  return dashboard;
}
