// Rate limits as Celery writes them ('10/s', '100/m', '1000/h', or a number per second) and the
// per-worker bucket that turns one into a time slot per task.
import { expected } from '../errors';

/** `'10/s' | '100/m' | '1000/h'`, or a number of tasks per second (Celery's `rate_limit`). */
export type RateLimit = string | number;

const PERIOD_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * The interval between two tasks under a limit, in ms: '10/s' → 100. As in Celery, the tasks are spread
 * evenly over the period (a bucket of one token), not run in a burst at its start.
 */
export function rateInterval(name: string, limit: unknown): number {
  if (typeof limit === 'number' && Number.isFinite(limit) && limit > 0) return 1_000 / limit;
  if (typeof limit === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*([smh]))?\s*$/.exec(limit);
    if (m && Number(m[1]) > 0) return PERIOD_MS[m[2] ?? 's']! / Number(m[1]);
  }
  throw expected(name, "a rate such as '10/s', '100/m' or '1000/h' (or a number per second > 0)", limit);
}

/**
 * One worker's bucket for one task: each call reserves the next free slot (epoch ms). A slot is never
 * handed out twice, so tasks that wait do not ask again: nothing polls.
 */
export class LocalBucket {
  #next = 0;

  constructor(readonly interval: number) {}

  reserve(now = Date.now()): number {
    const slot = Math.max(this.#next, now);
    this.#next = slot + this.interval;
    return slot;
  }
}
