// The main pool: task functions run on the worker's own event loop (best for I/O-bound tasks). A task that
// holds that loop with synchronous work is named in the log, as is one that overran a time limit that
// cannot interrupt synchronous code here.
import type { Logger } from '../../utils/logger';
import { runTask, timeLimits, type Outcome, type RunRequest } from '../trace';
import type { TaskPool } from './pool';

export class MainPool implements TaskPool {
  readonly kind = 'main' as const;

  constructor(
    readonly logger: Logger,
    /** Synchronous runs longer than this (ms) are logged; null: never. */
    readonly stallWarning: number | null,
  ) {}

  async start(): Promise<void> {}

  run(req: RunRequest): Promise<Outcome> {
    return runTask({ ...req, onSync: (ms) => this.#blocked(req, ms) });
  }

  #blocked(req: RunRequest, ms: number): void {
    const { msg, def, settings } = req;
    const { hard } = timeLimits(msg, def, settings);
    const took = `${Math.round(ms)} ms`;
    if (hard !== null && ms > hard) {
      this.logger.warn(
        `Task ${msg.task}[${msg.id}] ran ${took} of synchronous code, past its timeLimit of ${hard} ms, which cannot interrupt ` +
          `synchronous code on the main pool (its result is kept); run CPU-bound tasks with pool 'threads' or 'processes' (-P threads|processes), where the limit kills them`,
      );
    } else if (this.stallWarning !== null && ms >= this.stallWarning) {
      this.logger.warn(
        `Task ${msg.task}[${msg.id}] blocked the worker's event loop for ${took} (synchronous code on the main pool: other tasks waited); ` +
          `run CPU-bound tasks with pool 'threads' or 'processes' (-P threads|processes)`,
      );
    }
  }

  async close(): Promise<void> {}
}
