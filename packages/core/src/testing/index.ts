// Helpers for users' own test suites: an in-memory app, and a deterministic drain of its queues.
import { randomUUID } from 'node:crypto';
import { createApp, type AppConfig, type Celeriac } from '../app';
import { consoleLogger } from '../utils/logger';

/**
 * An app on its own `memory://` broker and backend, isolated from every other app in the process.
 * With `{ eager: true }` tasks run inline at `.delay()` (Celery's task_always_eager).
 */
export function createTestApp(name = 'test', config: AppConfig & { eager?: boolean } = {}): Celeriac {
  const { eager = false, ...rest } = config;
  const url = `memory://${randomUUID()}`;
  return createApp(name, {
    broker: url,
    backend: url,
    logger: consoleLogger('silent'),
    taskAlwaysEager: eager,
    ...rest,
  });
}

export interface DrainOptions {
  /** Queues to drain. @default [taskDefaultQueue] */
  queues?: string[];
  /** Give up after this long. @default 10_000 */
  timeout?: number;
}

/**
 * Runs every task waiting in the app's queues, one at a time and in order, including the ones those
 * tasks send (callbacks, chain steps), until nothing is due. Tasks with a countdown still in the future
 * stay where they are (use `{ eager: true }` to run retries at once). Resolves how many ran.
 */
export async function drain(app: Celeriac, options: DrainOptions = {}): Promise<number> {
  const queues = options.queues ?? [app.settings.taskDefaultQueue];
  const timeout = options.timeout ?? 10_000;
  const deadline = Date.now() + timeout;
  const worker = app.worker({ queues, concurrency: 1, prefetchMultiplier: 1, heartbeatInterval: 60_000, heartbeatTimeout: 120_000 });
  let ran = 0;
  const count = () => void ran++;
  worker.on('completed', count).on('failed', count).on('retried', count).on('revoked', count);
  await worker.start();
  try {
    for (;;) {
      if (Date.now() > deadline) throw new Error(`drain: queues still busy after ${timeout} ms`);
      await new Promise((r) => setTimeout(r, 1));
      await worker.onIdle();
      const waiting = (await Promise.all(queues.map((q) => app.broker.queueLength(q)))).reduce((a, b) => a + b, 0);
      if (waiting === 0 && worker.running === 0) break;
    }
  } finally {
    await worker.close();
  }
  return ran;
}
