// Following a task: its current state first, then every change, until it is ready. Listens to the backend's
// notifications (Redis pub/sub); nothing polls.
import type { ResultBackend } from '../backend/backend';
import type { ResultMeta } from '../protocol/result-meta';
import { isReady } from '../states';
import { toStatus, type Reveal, type TaskStatus } from './status';

export interface WatchOptions {
  /** What to show of results and errors (see TaskStatus). @default false */
  reveal?: Reveal;
  /**
   * Ends the watch (and releases its subscription) when aborted, also while it waits for a change. `break` in a
   * for-await loop releases it too, but only between changes: a consumer that must stop while nothing happens
   * (an HTTP client that went away) needs the signal.
   */
  signal?: AbortSignal;
}

const keyOf = (m: ResultMeta | null): string => (m === null ? 'PENDING' : `${m.status}\n${JSON.stringify(m.result)}`);

/**
 * The stored metas of a task (`null` while PENDING): the current one, then each change, ending after a ready
 * state. Subscribes before it reads, so a state stored in between is not missed; a change equal to the last one
 * given is skipped.
 */
export async function* watchMetas(backend: ResultBackend, taskId: string, signal?: AbortSignal): AsyncGenerator<ResultMeta | null, void, undefined> {
  if (signal?.aborted) return;
  const changes: ResultMeta[] = [];
  let wake: (() => void) | null = null;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const unsubscribe = await backend.subscribe(taskId, (meta) => {
    changes.push(meta);
    poke();
  });
  signal?.addEventListener('abort', poke);
  try {
    const current = await backend.get(taskId);
    let last = keyOf(current);
    // NOTE: changes heard before the read may be older than what it returned: drop them up to the one it returned.
    // (On Redis a change stored just before the read may also be heard just after it; it is skipped as a repeat.)
    for (let i = changes.length - 1; i >= 0; i--) {
      if (keyOf(changes[i]!) === last) {
        changes.splice(0, i + 1);
        break;
      }
    }
    yield current;
    if (current && isReady(current.status)) return;
    for (;;) {
      while (!changes.length) {
        if (signal?.aborted) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      if (signal?.aborted) return;
      const meta = changes.shift()!;
      const key = keyOf(meta);
      if (key === last) continue;
      last = key;
      yield meta;
      if (isReady(meta.status)) return;
    }
  } finally {
    signal?.removeEventListener('abort', poke);
    unsubscribe();
  }
}

/** `watchMetas` as TaskStatus objects. */
export async function* watchStatus(backend: ResultBackend, taskId: string, options: WatchOptions = {}): AsyncGenerator<TaskStatus, void, undefined> {
  for await (const meta of watchMetas(backend, taskId, options.signal)) yield toStatus(taskId, meta, options.reveal ?? false);
}
