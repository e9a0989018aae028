// Eager mode: runs a task in this process, now, through the same trace as a worker (retries included).
import { hostname } from 'node:os';
import type { ResultBackend } from '../backend/backend';
import type { Settings } from '../config';
import type { TaskMessage } from '../protocol/message';
import type { TaskDefinition } from '../task';
import { metas, unstorableResult } from './meta';
import { runTask } from './trace';

/** What eager mode needs from its app. */
export interface EagerHost {
  readonly settings: Readonly<Settings>;
  readonly backend: ResultBackend;
}

export interface EagerOptions {
  /** Store states in the result backend (taskAlwaysEager), or not (a direct call). */
  store: boolean;
  /** Throw the task's error instead of storing FAILURE. */
  propagate?: boolean;
}

/**
 * Runs the task inline; retries run again at once. Resolves the value, or throws the error unless it is stored.
 * `sent` is the message as a worker would receive it (for taskAlwaysEager: encoded and decoded, so the arguments
 * went through JSON).
 */
export async function runEager(app: EagerHost, def: TaskDefinition, sent: TaskMessage, opts: EagerOptions): Promise<unknown> {
  const expires = app.settings.resultExpires;
  const store = opts.store && !(sent.ignoreResult || (def.options.ignoreResult ?? app.settings.taskIgnoreResult));
  for (let retries = 0; ; retries++) {
    const msg: TaskMessage = retries === 0 ? sent : { ...sent, retries };
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
