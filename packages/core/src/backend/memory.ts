// In-process result backend (`memory://`), shared by every app in the process that names the same URL.
import type { ResultMeta } from '../protocol/result-meta';
import { notify, type ResultBackend } from './backend';

interface Entry {
  meta: ResultMeta;
  expiresAt: number;
}

class Store {
  refs = 0;
  readonly results = new Map<string, Entry>();
  readonly listeners = new Map<string, Set<(m: ResultMeta) => void>>();
}

const stores = new Map<string, Store>();

export class MemoryBackend implements ResultBackend {
  readonly #store: Store;
  #closed = false;

  constructor(readonly url: string) {
    let store = stores.get(url);
    if (!store) stores.set(url, (store = new Store()));
    store.refs++;
    this.#store = store;
  }

  async store(meta: ResultMeta, expiresMs: number): Promise<void> {
    const copy = JSON.parse(JSON.stringify(meta)) as ResultMeta;
    this.#store.results.set(meta.task_id, { meta: copy, expiresAt: Date.now() + expiresMs });
    for (const l of this.#store.listeners.get(meta.task_id) ?? []) notify(l, copy);
  }

  async get(taskId: string): Promise<ResultMeta | null> {
    const e = this.#store.results.get(taskId);
    if (!e) return null;
    if (e.expiresAt <= Date.now()) {
      this.#store.results.delete(taskId);
      return null;
    }
    return e.meta;
  }

  async forget(taskId: string): Promise<void> {
    this.#store.results.delete(taskId);
  }

  async subscribe(taskId: string, listener: (meta: ResultMeta) => void): Promise<() => void> {
    let set = this.#store.listeners.get(taskId);
    if (!set) this.#store.listeners.set(taskId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#store.listeners.delete(taskId);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (--this.#store.refs === 0) stores.delete(this.url);
  }
}
