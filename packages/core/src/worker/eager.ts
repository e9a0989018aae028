// Eager mode: runs a task in this process, now, through the same trace as a worker (retries included).
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Celeriac } from '../app';
import { completeMessage } from '../protocol/message';
import type { TaskDefinition } from '../task';
import { metas, unstorableResult } from './meta';
import { runTask } from './trace';

export interface EagerOptions {
  /** Store states in the result backend (taskAlwaysEager), or not (a direct call). */
  store: boolean;
  id?: string;
  /** Throw the task's error instead of storing FAILURE. */
  propagate?: boolean;
}

/** Runs the task inline; retries run again at once. Resolves the value, or throws the error unless it is stored. */
export async function runEager(app: Celeriac, def: TaskDefinition, args: unknown[], kwargs: Record<string, unknown>, opts: EagerOptions): Promise<unknown> {
  const id = opts.id ?? randomUUID();
  const expires = app.settings.resultExpires;
  const store = opts.store && !(def.options.ignoreResult ?? app.settings.taskIgnoreResult);
  for (let retries = 0; ; retries++) {
    const msg = completeMessage({ id, task: def.name, args, kwargs, queue: 'eager', retries });
    const outcome = await runTask({
      msg,
      def,
      settings: app.settings,
      hostname: `eager@${hostname()}`,
      updateState: async (state, meta) => {
        if (store) await app.backend.store(metas.custom(msg, state, meta), expires);
      },
    });
    switch (outcome.kind) {
      case 'retry':
        continue;
      case 'success': {
        const unstorable = store ? unstorableResult(msg, outcome.value) : null;
        if (unstorable) {
          if (opts.propagate) throw unstorable;
          await app.backend.store(metas.failure(msg, unstorable), expires);
          return undefined;
        }
        if (store) await app.backend.store(metas.success(msg, outcome.value), expires);
        return outcome.value;
      }
      default: {
        const error = outcome.kind === 'failure' ? outcome.error : outcome.kind === 'reject' ? new Error(`rejected: ${outcome.reason}`) : outcome.reason;
        if (!store || opts.propagate) throw error;
        await app.backend.store(metas.failure(msg, error), expires);
        return undefined;
      }
    }
  }
}
