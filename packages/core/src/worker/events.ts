// Typed worker events (bullmq's WorkerListener pattern).
import { EventEmitter } from 'node:events';

export interface TaskEventInfo {
  taskId: string;
  name: string;
  queue: string;
  retries: number;
}

export interface WorkerEvents {
  /** The worker is registered and fetching. */
  ready: [];
  /** A task function begins. */
  started: [info: TaskEventInfo];
  /** A task succeeded (its result is stored unless ignored). */
  completed: [info: TaskEventInfo & { result: unknown; runtime: number }];
  /** A task failed for good (FAILURE stored). */
  failed: [info: TaskEventInfo & { error: unknown; runtime: number }];
  /** A task will run again later (RETRY stored). */
  retried: [info: TaskEventInfo & { countdown: number; error: unknown }];
  /** A revoked or expired task was discarded, or a running one terminated. */
  revoked: [info: TaskEventInfo & { reason: string }];
  /** A message went to the dead-letter list. */
  deadLettered: [info: { reason: string; queue: string }];
  /** Messages of dead workers were given back to their queues. */
  recovered: [info: { count: number }];
  /** Something went wrong that the worker survives (Redis away, a store that failed and will be retried). */
  error: [error: Error];
  /** The worker has shut down. */
  closed: [];
}

type Args<K extends keyof WorkerEvents> = WorkerEvents[K];

export class TypedEmitter extends EventEmitter {
  override on<K extends keyof WorkerEvents>(event: K, listener: (...args: Args<K>) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }
  override once<K extends keyof WorkerEvents>(event: K, listener: (...args: Args<K>) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }
  override off<K extends keyof WorkerEvents>(event: K, listener: (...args: Args<K>) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
  override emit<K extends keyof WorkerEvents>(event: K, ...args: Args<K>): boolean {
    return super.emit(event, ...args);
  }
}
