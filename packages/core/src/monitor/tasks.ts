// Task records folded from Celery task events: what a dashboard lists and shows (state, arguments as Celery's
// reprs, result, traceback, worker, timeline, parent and root).
import { HISTORY_CALL, type CeleryEvent } from '../broker/monitor';

/** A task's state as its events tell it (RECEIVED: a worker holds it, not started yet). */
export type EventState = 'PENDING' | 'RECEIVED' | 'STARTED' | 'RETRY' | 'SUCCESS' | 'FAILURE' | 'REVOKED';

const STATE_OF: Record<string, EventState> = {
  'task-sent': 'PENDING',
  'task-received': 'RECEIVED',
  'task-started': 'STARTED',
  'task-retried': 'RETRY',
  'task-succeeded': 'SUCCESS',
  'task-failed': 'FAILURE',
  'task-revoked': 'REVOKED',
};

export interface TimelineEntry {
  type: string;
  /** Epoch ms. */
  at: number;
  hostname: string;
}

export interface TaskRecord {
  id: string;
  name: string | null;
  state: EventState;
  /** Celery's repr of the positional and keyword arguments (`(2, 3)`, `{'to': 'ann'}`). */
  args: string | null;
  kwargs: string | null;
  /** The worker that received it last. */
  worker: string | null;
  queue: string | null;
  retries: number;
  rootId: string | null;
  parentId: string | null;
  /** Repr of the return value (SUCCESS). */
  result: string | null;
  /** Repr of the exception (FAILURE, RETRY). */
  exception: string | null;
  traceback: string | null;
  /** Seconds the function ran (SUCCESS). */
  runtime: number | null;
  /** Epoch ms of its first and last event. */
  firstSeen: number;
  lastSeen: number;
  timeline: TimelineEntry[];
  /** The call as JSON values, when the history kept it (arguments up to 64 KiB): what a retry sends again. */
  call: { args: unknown[]; kwargs: Record<string, unknown> } | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Applies one event to the records (only `task-*` events with a `uuid`); returns the record it changed. */
export function applyTaskEvent(records: Map<string, TaskRecord>, e: CeleryEvent): TaskRecord | null {
  const state = STATE_OF[e.type];
  const id = str(e.uuid);
  if (!state || !id) return null;
  const at = Math.round(e.timestamp * 1000);
  let r = records.get(id);
  if (!r) {
    r = { id, name: null, state, args: null, kwargs: null, worker: null, queue: null, retries: 0, rootId: null, parentId: null, result: null, exception: null, traceback: null, runtime: null, firstSeen: at, lastSeen: at, timeline: [], call: null };
    records.set(id, r);
  }
  r.timeline.push({ type: e.type, at, hostname: e.hostname });
  r.firstSeen = Math.min(r.firstSeen, at);
  // NOTE: events of one task come from several processes (the sender's task-sent, the worker's others): a
  // task-sent that arrives late never takes the state back to PENDING.
  if (at >= r.lastSeen && !(state === 'PENDING' && r.timeline.length > 1)) r.state = state;
  r.lastSeen = Math.max(r.lastSeen, at);
  r.name = str(e.name) ?? r.name;
  r.args = str(e.args) ?? r.args;
  r.kwargs = str(e.kwargs) ?? r.kwargs;
  r.queue = str(e.queue) ?? r.queue;
  r.rootId = str(e.root_id) ?? r.rootId;
  r.parentId = str(e.parent_id) ?? r.parentId;
  const call = e[HISTORY_CALL] as TaskRecord['call'] | undefined;
  if (call && Array.isArray(call.args) && typeof call.kwargs === 'object' && call.kwargs !== null) r.call = call;
  if (typeof e.retries === 'number') r.retries = Math.max(r.retries, e.retries);
  if (e.type !== 'task-sent') r.worker = e.hostname;
  if (e.type === 'task-succeeded') {
    r.result = str(e.result);
    r.runtime = typeof e.runtime === 'number' ? e.runtime : null;
  }
  if (e.type === 'task-failed' || e.type === 'task-retried') {
    r.exception = str(e.exception);
    r.traceback = str(e.traceback);
  }
  return r;
}

/** Folds events (oldest first) into task records, newest task first. */
export function foldTaskEvents(events: Iterable<CeleryEvent>): TaskRecord[] {
  const records = new Map<string, TaskRecord>();
  for (const e of events) applyTaskEvent(records, e);
  return [...records.values()].sort((a, b) => b.firstSeen - a.firstSeen);
}

export interface TaskFilter {
  state?: string;
  name?: string;
  worker?: string;
  /** Epoch ms: only tasks seen at or after / before. */
  since?: number;
  until?: number;
  /**
   * Matches the id exactly, or appears (case-insensitive) in the arguments' or keyword arguments' repr, or in their
   * JSON when the history kept the call (so a value past the repr's 1,024 characters is found too).
   */
  search?: string;
}

export function matchesTask(r: TaskRecord, f: TaskFilter): boolean {
  if (f.state && r.state !== f.state) return false;
  if (f.name && r.name !== f.name) return false;
  if (f.worker && r.worker !== f.worker) return false;
  if (f.since !== undefined && r.lastSeen < f.since) return false;
  if (f.until !== undefined && r.firstSeen > f.until) return false;
  if (f.search) {
    const q = f.search.toLowerCase();
    if (r.id !== f.search && !(r.args ?? '').toLowerCase().includes(q) && !(r.kwargs ?? '').toLowerCase().includes(q) && !callText(r).includes(q)) return false;
  }
  return true;
}

/** The tasks whose parent is `id` (its children: links, chain steps, retries carry it as parent_id). */
export function childrenOf(records: Iterable<TaskRecord>, id: string): TaskRecord[] {
  return [...records].filter((r) => r.parentId === id && r.id !== id);
}

const callTexts = new WeakMap<object, string>();

/** The kept call as lower-case JSON (computed once per call object). */
function callText(r: TaskRecord): string {
  if (!r.call) return '';
  let t = callTexts.get(r.call);
  if (t === undefined) callTexts.set(r.call, (t = JSON.stringify(r.call).toLowerCase()));
  return t;
}
