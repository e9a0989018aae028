// The main pool: task functions run on the worker's own event loop (best for I/O-bound tasks). A task that
// holds that loop with synchronous work is named in the log, as is one that overran a time limit that cannot
// interrupt synchronous code here. A stall in a task's later, asynchronous part is caught by a lag probe and
// logged with the tasks that were running then.
import type { Logger } from '../../utils/logger';
import { hardTimeLimit, runTask, type Outcome, type RunObserver, type RunRequest } from '../trace';
import type { TaskPool } from './pool';

const PROBE_MS = 100;
/** Tasks a stall warning names (the rest are counted). */
const NAMED = 5;

const POOLS_HINT = "run CPU-bound tasks with pool 'threads' or 'processes' (-P threads|processes)";

export class MainPool implements TaskPool {
  readonly kind = 'main' as const;
  readonly #running = new Set<RunRequest>();
  /**
   * Tasks that ended since the probe last ran: a stall is found only after it, when its task may have ended. Only the
   * first few are kept (as many as a warning names) and the rest counted: at thousands of tasks a second, keeping
   * every ended request for up to a probe interval would keep their messages alive past a young-generation GC.
   */
  #ended: RunRequest[] = [];
  #endedUncounted = 0;
  #probe: NodeJS.Timeout | null = null;
  /** When a stall was last explained by a task's synchronous call (performance.now()). */
  #explainedAt = -Infinity;

  constructor(
    readonly logger: Logger,
    /** Stalls longer than this (ms) are logged; null: never. */
    readonly stallWarning: number | null,
  ) {}

  async start(): Promise<void> {
    if (this.stallWarning === null) return;
    const threshold = this.stallWarning;
    let last = performance.now();
    this.#probe = setInterval(() => {
      const now = performance.now();
      const lag = now - last - PROBE_MS;
      last = now;
      const ended = this.#ended;
      const total = ended.length + this.#endedUncounted + this.#running.size;
      this.#ended = [];
      this.#endedUncounted = 0;
      if (lag < threshold || now - this.#explainedAt < lag + PROBE_MS || !total) return;
      const named = ended.length < NAMED ? [...ended, ...[...this.#running].slice(0, NAMED - ended.length)] : ended;
      const tasks = named.map((r) => `${r.msg.task}[${r.msg.id}]`);
      const more = total > tasks.length ? ` and ${total - tasks.length} more` : '';
      this.logger.warn(`the worker's event loop was blocked for ${Math.round(lag)} ms while task(s) ${tasks.join(', ')}${more} ran (synchronous code after an await); ${POOLS_HINT}`);
    }, PROBE_MS);
    this.#probe.unref();
  }

  // NOTE: one observer for every call rather than a copy of each request with its own callbacks: nothing per task.
  readonly #observer: RunObserver = {
    sync: (req, ms) => this.#blocked(req, ms),
    ended: (req) => {
      this.#running.delete(req);
      if (this.#probe) {
        if (this.#ended.length < NAMED) this.#ended.push(req);
        else this.#endedUncounted++;
      }
    },
  };

  run(req: RunRequest): Promise<Outcome> {
    this.#running.add(req);
    return runTask(req, this.#observer);
  }

  #blocked(req: RunRequest, ms: number): void {
    const { msg, def, settings } = req;
    const hard = hardTimeLimit(msg, def, settings);
    // NOTE: runs after every task: nothing is built unless there is something to say.
    if ((hard === null || ms <= hard) && (this.stallWarning === null || ms < this.stallWarning)) return;
    const took = `${Math.round(ms)} ms`;
    if (hard !== null && ms > hard) {
      this.#explainedAt = performance.now();
      this.logger.warn(
        `Task ${msg.task}[${msg.id}] ran ${took} of synchronous code, past its timeLimit of ${hard} ms, which cannot interrupt ` +
          `synchronous code on the main pool (its result is kept); ${POOLS_HINT}, where the limit ends them`,
      );
    } else if (this.stallWarning !== null && ms >= this.stallWarning) {
      this.#explainedAt = performance.now();
      this.logger.warn(`Task ${msg.task}[${msg.id}] blocked the worker's event loop for ${took} (synchronous code on the main pool: other tasks waited); ${POOLS_HINT}`);
    }
  }

  async close(): Promise<void> {
    if (this.#probe) clearInterval(this.#probe);
    this.#probe = null;
  }
}
