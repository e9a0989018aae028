// A real redis-server of the suite's own, a celeriac app with a few tasks and a worker with task events, and
// dashboards on free loopback ports.
import { Reject, consoleLogger, createApp, type Celeriac, type Worker } from '@celeriac/core';
import { createDashboard, type Dashboard, type DashboardOptions } from '@celeriac/dashboard';
import { startRedis, type RedisServer } from '../../../core/test/support/redis-server';

export interface Env {
  redis: RedisServer;
  url: string;
  app: Celeriac;
  worker: Worker;
  /** A dashboard on its own app (as another process would have), listening on a free port. */
  dashboard(options?: DashboardOptions): Promise<{ d: Dashboard; app: Celeriac; base: string }>;
  close(): Promise<void>;
}

export function defineTasks(app: Celeriac): void {
  app.task('shop.order', (customer: string, total: number) => ({ customer, total }));
  app.task('shop.slow', async (ms: number) => {
    await new Promise((r) => setTimeout(r, ms));
    return ms;
  });
  let failures = 0;
  app.task('shop.flaky_once', (order: string) => {
    if (failures++ === 0) throw new Error(`payment for ${order} declined`);
    return `paid ${order}`;
  });
  // NOTE: each order's first delivery is rejected (dead-lettered); once redriven it runs.
  const seen = new Set<string>();
  app.task('shop.reject_once', (order: string) => {
    if (!seen.has(order)) {
      seen.add(order);
      throw new Reject(`stock for ${order} not counted yet`);
    }
    return `shipped ${order}`;
  });
}

export async function startEnv(name: string): Promise<Env> {
  const redis = await startRedis({ own: true });
  const url = redis.url(0);
  const app = createApp(name, { broker: url, logger: consoleLogger('silent') });
  defineTasks(app);
  const worker = app.worker({ sendTaskEvents: true, concurrency: 4, hostname: `${name}@test` });
  await worker.start();
  const opened: { d: Dashboard; app: Celeriac }[] = [];
  return {
    redis,
    url,
    app,
    worker,
    async dashboard(options = {}) {
      const dApp = createApp(name, { broker: url, logger: consoleLogger('silent') });
      const d = createDashboard(dApp, options);
      const { url: base } = await d.listen(0, '127.0.0.1');
      opened.push({ d, app: dApp });
      return { d, app: dApp, base };
    },
    async close() {
      for (const o of opened.splice(0)) {
        await o.d.close();
        await o.app.close();
      }
      await worker.close();
      await app.close();
      await redis.stop();
    },
  };
}

export async function until<T>(fn: () => Promise<T | null | undefined | false>, ms = 8_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what} not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
