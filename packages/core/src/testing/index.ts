// Helpers for users' own test suites: an in-memory app, and a deterministic drain of its queues.
import { randomUUID } from 'node:crypto';
import { createApp, type AppConfig, type Celeriac } from '../app';
import { CeleriacError } from '../errors';
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
  /** Queues to drain. @default every queue that holds tasks, and every queue the drained tasks send to */
  queues?: string[];
  /** Give up after this long. @default 10_000 */
  timeout?: number;
}

/**
 * Runs every task waiting in the app's queues, one at a time and in order, including the ones those
 * tasks send (callbacks, chain steps), until nothing is due. Without `queues` every queue that holds
 * tasks is drained, including queues that tasks sent during the drain go to. Tasks with a countdown
 * still in the future stay where they are (use `{ eager: true }` to run retries at once). Resolves how many ran.
 */
export async function drain(app: Celeriac, options: DrainOptions = {}): Promise<number> {
  const timeout = options.timeout ?? 10_000;
  const deadline = Date.now() + timeout;
  const fixed = options.queues;
  let queues = fixed ?? union([app.settings.taskDefaultQueue], await app.broker.queueNames());
  let ran = 0;
  const count = () => void ran++;
  for (;;) {
    const worker = app.worker({ queues, concurrency: 1, prefetchMultiplier: 1, heartbeatInterval: 60_000, heartbeatTimeout: 120_000 });
    worker.on('completed', count).on('failed', count).on('retried', count).on('revoked', count);
    let more: string[] = [];
    await worker.start();
    try {
      for (;;) {
        if (Date.now() > deadline) throw new CeleriacError(`drain: queues ${queues.join(', ')} still busy after ${timeout} ms`);
        await new Promise((r) => setTimeout(r, 1));
        await worker.onIdle();
        // NOTE: a task may send to a queue this worker does not consume; the drain goes on with a worker that does.
        if (!fixed) more = (await app.broker.queueNames()).filter((q) => !queues.includes(q));
        if (more.length) break;
        const waiting = (await Promise.all(queues.map((q) => app.broker.queueLength(q)))).reduce((a, b) => a + b, 0);
        if (waiting === 0 && worker.running === 0) break;
      }
    } finally {
      await worker.close();
    }
    if (!more.length) return ran;
    queues = union(queues, more);
  }
}

function union(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])];
}
