// In-process result backend (`memory://`), shared by every app in the process that names the same URL.
import type { ResultMeta } from '../protocol/result-meta';
import { notify, type ResultBackend } from './backend';
import { encodeChordPart, type ChordPart, type GroupBackend } from './groups';
import { isReady, States } from '../states';

interface Entry {
  meta: ResultMeta;
  expiresAt: number;
}

class Store {
  refs = 0;
  readonly results = new Map<string, Entry>();
  readonly listeners = new Map<string, Set<(m: ResultMeta) => void>>();
  readonly groups = new Map<string, { ids: string[]; expiresAt: number }>();
  /** Chord counters by group id: the size (`.s`) and the finished parts by their encoded member (`.j`). */
  readonly chords = new Map<string, { size: number | null; parts: Map<string, ChordPart> }>();
}

const stores = new Map<string, Store>();

export class MemoryBackend implements ResultBackend, GroupBackend {
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
    // NOTE: as on Redis (store-0.lua): a state that is not final never replaces a SUCCESS.
    const current = this.#store.results.get(meta.task_id);
    if (current && current.expiresAt > Date.now() && current.meta.status === States.SUCCESS && !isReady(meta.status)) return;
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

  async getMany(taskIds: string[]): Promise<(ResultMeta | null)[]> {
    return Promise.all(taskIds.map((id) => this.get(id)));
  }

  async saveGroup(groupId: string, taskIds: string[], expiresMs: number): Promise<void> {
    this.#store.groups.set(groupId, { ids: [...taskIds], expiresAt: Date.now() + expiresMs });
  }

  async restoreGroup(groupId: string): Promise<string[] | null> {
    const g = this.#store.groups.get(groupId);
    if (g && g.expiresAt <= Date.now()) this.#store.groups.delete(groupId);
    return g && g.expiresAt > Date.now() ? [...g.ids] : null;
  }

  async forgetGroup(groupId: string): Promise<void> {
    this.#store.groups.delete(groupId);
  }

  async setChordSize(groupId: string, size: number): Promise<void> {
    const c = this.#store.chords.get(groupId);
    if (c) c.size = size;
    else this.#store.chords.set(groupId, { size, parts: new Map() });
  }

  // NOTE: the same rules as the Redis backend's: a part is counted once (by its encoded value), the chord completes
  // when the count reaches the size, and a part arriving when no size is known (after completion) is dropped.
  async chordPartReturn(groupId: string, part: ChordPart): Promise<ChordPart[] | null | 'unknown'> {
    let c = this.#store.chords.get(groupId);
    if (!c) this.#store.chords.set(groupId, (c = { size: null, parts: new Map() }));
    c.parts.set(encodeChordPart(part), part);
    if (c.size === null) return 'unknown';
    if (c.parts.size !== c.size) return null;
    this.#store.chords.delete(groupId);
    return [...c.parts.values()].sort((a, b) => (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER));
  }

  async forgetChord(groupId: string): Promise<void> {
    this.#store.chords.delete(groupId);
  }

  /** Group ids with chord counters still kept (for tests: none after every chord completed). */
  pendingChords(): string[] {
    return [...this.#store.chords.keys()];
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
