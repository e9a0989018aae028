// Where task functions run: on the worker's own event loop (main) or in worker_threads / child processes.
// Whatever the pool, the broker connection, acks and result stores stay with the worker (request.ts).
import type { PoolKind } from '../../config';
import type { Outcome, RunRequest } from '../trace';

export interface TaskPool {
  readonly kind: PoolKind;
  /** Gets the pool ready (children started and their tasks loaded); rejects with why they could not start. */
  start(): Promise<void>;
  /** Runs one task function; never rejects. */
  run(req: RunRequest): Promise<Outcome>;
  /** Stops the children (after the worker has let running tasks finish or given them back). */
  close(): Promise<void>;
}
