// A ResultBackend around another that counts live subscriptions per task and lookups, for the status suite's
// "nothing left subscribed" and "no lookup" checks on stores that cannot count them themselves.
import type { Celeriac, ResultBackend, ResultMeta } from '../../src';
import type { StatusEnv } from './status-suite';

export class CountingBackend implements ResultBackend {
  readonly live = new Map<string, number>();
  gets = 0;

  constructor(readonly inner: ResultBackend) {}

  get url(): string {
    return this.inner.url;
  }
  store(meta: ResultMeta, expiresMs: number): Promise<void> {
    return this.inner.store(meta, expiresMs);
  }
  get(taskId: string): Promise<ResultMeta | null> {
    this.gets++;
    return this.inner.get(taskId);
  }
  forget(taskId: string): Promise<void> {
    return this.inner.forget(taskId);
  }
  async subscribe(taskId: string, listener: (meta: ResultMeta) => void): Promise<() => void> {
    const stop = await this.inner.subscribe(taskId, listener);
    this.live.set(taskId, (this.live.get(taskId) ?? 0) + 1);
    let stopped = false;
    return () => {
      if (!stopped) this.live.set(taskId, this.live.get(taskId)! - 1);
      stopped = true;
      stop();
    };
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The status suite's environment for an app whose backend is `backend`; `after` runs once both are closed. */
export function countedStatusEnv(app: Celeriac, backend: CountingBackend, after: () => Promise<void> = async () => undefined): StatusEnv {
  return {
    app,
    subscriptions: async (id) => backend.live.get(id) ?? 0,
    lookups: () => backend.gets,
    close: async () => {
      await app.close();
      await backend.close();
      await after();
    },
  };
}
