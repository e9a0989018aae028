// examples/dashboard.ts: the dashboard inside your own process (`celeriac dashboard` does the same from the CLI).
import { EventHistory, createApp } from '@celeriac/core';
import { createDashboard } from '@celeriac/dashboard';

export async function startDashboard(brokerUrl: string, port = 5555) {
  const app = createApp('shop', { broker: brokerUrl });
  const dashboard = createDashboard(app, {
    token: process.env.DASHBOARD_TOKEN, // else: this machine only
    readOnly: false,
  });
  const { url } = await dashboard.listen(port); // 127.0.0.1 unless a host is given
  // The same history the dashboard shows, from code: the last failed orders of ann@example.com.
  const failed = await new EventHistory(app.broker).tasks({ state: 'FAILURE', search: 'ann@example.com', limit: 10 });
  return { url, failed, close: () => dashboard.close().then(() => app.close()) };
}
