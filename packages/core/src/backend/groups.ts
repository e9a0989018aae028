// What groups and chords need from a result backend beyond one task's state: many states in one read, a saved
// group, and Celery's chord counters (`celery-taskset-meta-<gid>.s` / `.j` / `.t`, shared/celery-wire.md §10).
import type { ResultMeta } from '../protocol/result-meta';
import type { ResultBackend } from './backend';

/** One finished chord header task, as Celery keeps it in `.j`: the JSON `[1, task_id, state, result]`. */
export interface ChordPart {
  taskId: string;
  state: string;
  /** The return value, or the exception info (`{ exc_type, exc_message, exc_module }`) of a failed one. */
  result: unknown;
  /** The task's `group_index` (its place in the header); null sorts last, as Celery's `+inf`. */
  index: number | null;
}

/** Optional backend methods for groups and chords (the memory and Redis backends have them all). */
export interface GroupBackend {
  /** Several task states in one round trip (or a few), in the order asked; null where none is stored. */
  getMany(taskIds: string[]): Promise<(ResultMeta | null)[]>;
  /** Celery's `GroupResult.save()`: `celery-taskset-meta-<gid>` lists the member ids. */
  saveGroup(groupId: string, taskIds: string[], expiresMs: number): Promise<void>;
  /** The member ids of a saved group, or null. */
  restoreGroup(groupId: string): Promise<string[] | null>;
  forgetGroup(groupId: string): Promise<void>;
  /** Stores a chord's size (`.s`) before its header tasks are sent. */
  setChordSize(groupId: string, size: number, expiresMs: number): Promise<void>;
  /**
   * Records one finished header task (`.j`). Resolves every part in header order when this one completed the
   * chord (and the chord's keys are deleted then, whatever the parts' states), null while parts are missing, and
   * 'unknown' when no size is stored for the chord yet (a Python client stores it just before its last header
   * task) or any more (the chord completed: this part ran twice). Only one caller ever receives the parts.
   */
  chordPartReturn(groupId: string, part: ChordPart, expiresMs: number): Promise<ChordPart[] | null | 'unknown'>;
  /** Deletes a chord's counters (`.j`, `.t`, `.s`). */
  forgetChord(groupId: string): Promise<void>;
}

/** The backend's group methods, or null when it has none (a custom backend): chords then fail clearly. */
export function groupsOf(backend: ResultBackend): GroupBackend | null {
  const b = backend as ResultBackend & Partial<GroupBackend>;
  const needed: (keyof GroupBackend)[] = ['getMany', 'saveGroup', 'restoreGroup', 'forgetGroup', 'setChordSize', 'chordPartReturn', 'forgetChord'];
  return needed.every((m) => typeof b[m] === 'function') ? (b as ResultBackend & GroupBackend) : null;
}

/** Many states through `getMany` when the backend has it, else one `get` each. */
export function getMany(backend: ResultBackend, ids: string[]): Promise<(ResultMeta | null)[]> {
  const b = backend as ResultBackend & Partial<GroupBackend>;
  return typeof b.getMany === 'function' ? b.getMany(ids) : Promise.all(ids.map((id) => backend.get(id)));
}

/** Celery's `.j` member: kombu's JSON of `[1, task_id, state, result]`. */
export function encodeChordPart(p: ChordPart): string {
  return `[1, ${JSON.stringify(p.taskId)}, ${JSON.stringify(p.state)}, ${JSON.stringify(p.result ?? null)}]`;
}

/** A `.j` member back (from a Node or a Python worker); null when it is not one. */
export function decodeChordPart(raw: string, index: number | null): ChordPart | null {
  try {
    const v = JSON.parse(raw) as unknown;
    if (!Array.isArray(v) || v.length < 4 || typeof v[1] !== 'string' || typeof v[2] !== 'string') return null;
    return { taskId: v[1], state: v[2], result: v[3] ?? null, index };
  } catch {
    return null;
  }
}

/** `celery-taskset-meta-<gid>` as Celery's `GroupResult.save()` writes it. */
export function encodeSavedGroup(groupId: string, taskIds: string[]): string {
  return JSON.stringify({ result: [[groupId, null], taskIds.map((id) => [[id, null], null])] });
}

export function decodeSavedGroup(raw: string): string[] | null {
  try {
    const v = JSON.parse(raw) as { result?: unknown };
    const members = Array.isArray(v.result) ? v.result[1] : null;
    if (!Array.isArray(members)) return null;
    const ids: string[] = [];
    for (const m of members) {
      const id = Array.isArray(m) && Array.isArray(m[0]) ? m[0][0] : null;
      if (typeof id !== 'string') return null;
      ids.push(id);
    }
    return ids;
  } catch {
    return null;
  }
}
