// Signatures: a task call to make later (link / link_error callbacks, chains sent by Python).
import type { SignatureDict } from './protocol/message';

export interface SignatureOptions {
  taskId?: string;
  queue?: string;
  priority?: number;
  countdown?: number;
}

/** A task call packaged to be sent later, as Celery's `signature()` / `task.s()`. */
export class Signature {
  constructor(
    readonly task: string,
    readonly args: unknown[] = [],
    readonly kwargs: Record<string, unknown> = {},
    readonly options: SignatureOptions = {},
    /** An immutable signature does not receive the parent's result. */
    readonly immutable = false,
  ) {}

  toDict(): SignatureDict {
    const options: Record<string, unknown> = {};
    if (this.options.taskId) options.task_id = this.options.taskId;
    if (this.options.queue) options.queue = this.options.queue;
    if (this.options.priority !== undefined) options.priority = this.options.priority;
    if (this.options.countdown !== undefined) options.countdown = this.options.countdown / 1000;
    return { task: this.task, args: this.args, kwargs: this.kwargs, options, subtask_type: null, immutable: this.immutable };
  }

  static fromDict(d: SignatureDict): Signature {
    const o = d.options ?? {};
    const options: SignatureOptions = {};
    // NOTE: read as a Celery worker reads them from Python: an out-of-range priority is clamped to 0–9 (kombu's Redis
    // transport does the same), and a value of the wrong type or a negative countdown is ignored, rather than
    // failing the parent task after it ran.
    if (typeof o.task_id === 'string' && o.task_id) options.taskId = o.task_id;
    if (typeof o.queue === 'string' && o.queue) options.queue = o.queue;
    if (typeof o.priority === 'number' && Number.isFinite(o.priority)) options.priority = Math.max(0, Math.min(9, Math.trunc(o.priority)));
    if (typeof o.countdown === 'number' && Number.isFinite(o.countdown) && o.countdown >= 0) options.countdown = o.countdown * 1000;
    return new Signature(d.task, Array.isArray(d.args) ? d.args : [], d.kwargs ?? {}, options, d.immutable === true);
  }
}

/** `signature('proj.add', [2, 3])`: a call to a task by name, possibly defined in another codebase. */
export function signature(task: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}, options: SignatureOptions = {}): Signature {
  return new Signature(task, args, kwargs, options);
}
