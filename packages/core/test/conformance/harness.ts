// What the app-level conformance suites share: a target (a fresh broker URL), apps and workers closed after
// each test, and a polling wait for conditions with no event to await.
import { randomUUID } from 'node:crypto';
import { consoleLogger, createApp, type AppConfig, type Celeriac, type SettingsInput, type Worker, type WorkerOptions } from '../../src';

export interface Target {
  /** A broker URL with nothing in it. */
  freshUrl(): Promise<string>;
  /** Settings every app of the suite needs besides the URL (e.g. a sentinel:// URL's master name). */
  settings?: SettingsInput;
  /** Settings every app of the suite also gets (e.g. a redis:// result backend beside an amqp:// broker). */
  config?(): Promise<AppConfig>;
  /** How one queue serves priorities: kombu's Redis steps, lower number first (default), or AMQP's, higher first. */
  priority?: 'low-first' | 'high-first';
  /** Cuts a worker off from the broker as a SIGKILL would. Default: its heartbeats stop. */
  sever?(worker: Worker): Promise<void>;
}

export const until = async (cond: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

/**
 * Registers an afterEach that closes every worker (cold after 500 ms) and app the test made. Call it inside a
 * describe. `listen` attaches event listeners before a worker starts, so no early event is missed.
 */
export function appHarness(target: Target, workerDefaults: WorkerOptions) {
  let apps: Celeriac[] = [];
  let workers: Worker[] = [];

  afterEach(async () => {
    await Promise.all(workers.map((w) => w.close({ timeout: 500 })));
    await Promise.all(apps.map((a) => a.close()));
    apps = [];
    workers = [];
  });

  return {
    async makeApp(config: AppConfig = {}): Promise<Celeriac> {
      const app = createApp(`t-${randomUUID().slice(0, 8)}`, {
        ...target.settings,
        broker: await target.freshUrl(),
        logger: consoleLogger(process.env.CELERIAC_TEST_LOG === '1' ? 'debug' : 'silent'),
        ...(await target.config?.()),
        ...config,
      });
      apps.push(app);
      return app;
    },
    async startWorker(app: Celeriac, opts: WorkerOptions = {}, listen?: (w: Worker) => void): Promise<Worker> {
      const w = app.worker({ ...workerDefaults, ...opts });
      workers.push(w);
      listen?.(w);
      await w.start();
      return w;
    },
  };
}
