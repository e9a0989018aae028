// examples/mount.ts: the dashboard under /admin/tasks of your Express or Fastify app.
import express from 'express';
import Fastify from 'fastify';
import type { Celeriac } from '@celeriac/core';
import { dashboardExpress } from '@celeriac/dashboard/express';
import { dashboardFastify } from '@celeriac/dashboard/fastify';

export function expressServer(app: Celeriac) {
  const server = express();
  const dashboard = dashboardExpress(app, { basePath: '/admin/tasks', token: process.env.DASHBOARD_TOKEN });
  server.use('/admin/tasks', dashboard);
  // Close it before the HTTP server: an open page keeps a live stream.
  return { server, closeDashboard: () => dashboard.dashboard.close() };
}

export async function fastifyServer(app: Celeriac) {
  const server = Fastify();
  await server.register(dashboardFastify, { prefix: '/admin/tasks', app, token: process.env.DASHBOARD_TOKEN });
  return server; // server.close() closes the dashboard too
}
