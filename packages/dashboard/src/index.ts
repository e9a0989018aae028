// @celeriac/dashboard: workers, queues, task history with search, live updates (SSE), actions and Prometheus
// metrics for a celeriac app. Mount `createDashboard(app).handler` anywhere, or `listen()` on its own.
export { Dashboard, createDashboard, ACTION_HEADER, type DashboardOptions } from './dashboard';
export type { AccessOptions } from './auth';
export type { Overview } from './api';
export { DashboardMetrics } from './metrics';
