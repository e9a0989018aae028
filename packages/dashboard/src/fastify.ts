// @celeriac/dashboard/fastify: the dashboard as a Fastify plugin, under the prefix it is registered with:
//   await server.register(dashboardFastify, { prefix: '/admin/tasks', app, token: process.env.DASHBOARD_TOKEN });
// Fastify is a type here only (an optional peer dependency): nothing is loaded from it at run time.
import type { Celeriac } from '@celeriac/core';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { createDashboard, type Dashboard, type DashboardOptions } from './dashboard';

export interface DashboardFastifyOptions extends Omit<DashboardOptions, 'basePath'> {
  /** The celeriac app whose workers, queues and tasks are shown (it stays yours: the plugin does not close it). */
  app: Celeriac;
}

/**
 * Hands every request under the plugin's prefix to the dashboard (the page, the API, the live stream, /metrics),
 * and closes the dashboard when the server closes. NOTE: encapsulated on purpose (no fastify-plugin): it decorates
 * nothing, and its catch-all content-type parser must not reach the routes of the app around it.
 */
export function serveOnFastify(fastify: FastifyInstance, dashboard: Dashboard): void {
  // NOTE: bodies are left unread for the dashboard (actions take none and it refuses large ones); Fastify's
  // parsers would answer 415 to a content type they do not know before the dashboard could say anything.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', (_req: FastifyRequest, _payload: unknown, done: (err: Error | null, body?: unknown) => void) => done(null));
  const handle = (req: FastifyRequest, reply: FastifyReply): void => {
    reply.hijack();
    dashboard.handler(req.raw, reply.raw);
  };
  const methods = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
  fastify.route({ method: methods, url: '/', exposeHeadRoute: false, handler: handle });
  fastify.route({ method: methods, url: '/*', exposeHeadRoute: false, handler: handle });
  // NOTE: preClose, before the server stops: a page left open (its live stream) would keep close() waiting.
  fastify.addHook('preClose', async () => {
    await dashboard.close();
  });
}

/** The dashboard as a Fastify plugin; register it with a `prefix` (its base path). */
export const dashboardFastify: FastifyPluginAsync<DashboardFastifyOptions> = async (fastify, opts) => {
  const { app, token, basicAuth, readOnly, historyWindow, overviewInterval } = opts;
  if (!app || typeof app.task !== 'function') throw new Error('dashboardFastify: pass the celeriac app as the `app` option');
  const dashboard = createDashboard(app, {
    basePath: fastify.prefix.replace(/\/+$/, ''),
    ...(token !== undefined ? { token } : {}),
    ...(basicAuth !== undefined ? { basicAuth } : {}),
    ...(readOnly !== undefined ? { readOnly } : {}),
    ...(historyWindow !== undefined ? { historyWindow } : {}),
    ...(overviewInterval !== undefined ? { overviewInterval } : {}),
  });
  serveOnFastify(fastify, dashboard);
};
