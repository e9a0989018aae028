// Celery's `celery.backend_cleanup` for result stores that do not expire entries themselves (ResultBackend.cleanup,
// e.g. PostgreSQL): a running worker deletes results older than `resultExpires` when it starts and then
// periodically. Every worker does; the backend lets one run at a time.
import type { ResultBackend } from '../backend/backend';
import type { Logger } from '../utils/logger';

/** How often: a fraction of `resultExpires`, at least once a second and at most once an hour. */
export function cleanupInterval(expiresMs: number): number {
  return Math.min(Math.max(Math.floor(expiresMs / 4), 1_000), 3_600_000);
}

/** Starts the periodic clean-up; the returned function stops it and resolves once a run in progress ended. */
export function startBackendCleanup(backend: ResultBackend, expiresMs: number, logger: Logger, report: (err: unknown) => void): () => Promise<void> {
  const cleanup = backend.cleanup?.bind(backend);
  if (!cleanup) return () => Promise.resolve();
  let running: Promise<void> | null = null;
  const run = () => {
    if (running) return;
    running = cleanup(expiresMs)
      .then((n) => n > 0 && logger.info(`deleted ${n} expired result${n === 1 ? '' : 's'} from ${backend.url}`), report)
      .then(() => void (running = null));
  };
  run();
  const timer = setInterval(run, cleanupInterval(expiresMs));
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
