// The running task's context (Celery's `self.request`, `self.retry`, `self.update_state`) for @Task() methods, whose
// parameters stay the call's own so that `.delay()` keeps their types.
import { AsyncLocalStorage } from 'node:async_hooks';
import { CeleriacError, type TaskContext } from '@celeriac/core';

export const taskContexts = new AsyncLocalStorage<TaskContext>();

/**
 * Inside a @Task() method run by a worker (or by an eager `.delay()`): its context, e.g.
 * `currentTask().updateState({ state: 'PROGRESS', meta })`, `throw currentTask().retry({ countdown: 5_000 })`.
 * Throws in a direct call, which is a plain method call.
 */
export function currentTask(): TaskContext {
  const ctx = taskContexts.getStore();
  if (!ctx) throw new CeleriacError('currentTask() is only available while a worker (or an eager .delay()) runs a @Task() method, not in a direct call');
  return ctx;
}
