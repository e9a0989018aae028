// @celeriac/dashboard/express: the dashboard as an Express middleware (Express 4 or 5, or any Connect-style
// server such as Nest's Express platform):
//   const dashboard = dashboardExpress(app, { basePath: '/admin/tasks', token: process.env.DASHBOARD_TOKEN });
//   server.use('/admin/tasks', dashboard);          // or server.use(dashboard): it only answers under basePath
//   ... on shutdown: await dashboard.dashboard.close();
// Nothing is imported from Express (an optional peer dependency): the middleware's types are Node's own.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Celeriac } from '@celeriac/core';
import { createDashboard, type Dashboard, type DashboardOptions } from './dashboard';

export interface DashboardExpressOptions extends DashboardOptions {
  /** Where the dashboard is mounted (`/admin/tasks`): the page's links and the login cookie use it. */
  basePath: string;
}

/** A Connect-style request: Express sets `originalUrl` (the path before its mount prefix was taken off). */
export type ConnectRequest = IncomingMessage & { originalUrl?: string };

export interface DashboardMiddleware {
  (req: ConnectRequest, res: ServerResponse, next: (err?: unknown) => void): void;
  /** The dashboard behind the middleware: close it on shutdown (it follows the event history until then). */
  readonly dashboard: Dashboard;
}

/** Wraps a dashboard created with its mount path as `basePath`: requests outside that path go on to `next()`. */
export function middlewareFor(dashboard: Dashboard): DashboardMiddleware {
  const base = dashboard.basePath;
  const mw = (req: ConnectRequest, res: ServerResponse, next: (err?: unknown) => void): void => {
    const full = req.originalUrl ?? req.url ?? '/';
    const path = full.split('?')[0]!;
    if (path !== base && !path.startsWith(`${base}/`)) return next();
    // NOTE: the full path, as the dashboard strips its own base path (Express took the mount prefix off req.url).
    req.url = full;
    dashboard.handler(req, res);
  };
  return Object.assign(mw, { dashboard });
}

export function dashboardExpress(app: Celeriac, options: DashboardExpressOptions): DashboardMiddleware {
  if (!options?.basePath) throw new Error("dashboardExpress: set basePath to the path you mount it at, e.g. { basePath: '/admin/tasks' }");
  return middlewareFor(createDashboard(app, options));
}
