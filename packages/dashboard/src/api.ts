// The dashboard's JSON routes: overview (workers, queues), tasks (filters, search), one task, and the actions.
import { describeDeadLetter, isValidTaskId, type Broker, type Celeriac, type CeleryEvent, type DeadLetterView, type EventHistory, type TaskRecord } from '@celeriac/core';

export interface WorkerRow {
  hostname: string;
  pid: number | null;
  /** What it runs: `celeriac` or Celery's `py-celery`, with its version. */
  software: string | null;
  queues: string[];
  concurrency: number | null;
  active: number | null;
  processed: number | null;
  loadavg: number[] | null;
  /** Last heartbeat, epoch ms. */
  lastSeen: number | null;
}

export interface Overview {
  workers: WorkerRow[];
  queues: { name: string; length: number }[];
  delayed: number;
  deadLetters: number;
  readOnly: boolean;
  at: number;
}

/** The workers whose last `worker-*` event is a recent heartbeat or online (Celery: within three beats). */
export function aliveFromEvents(seen: ReadonlyMap<string, { event: CeleryEvent; at: number }>, now = Date.now()): WorkerRow[] {
  const rows: WorkerRow[] = [];
  for (const [hostname, { event: e, at }] of seen) {
    const freq = typeof e.freq === 'number' && e.freq > 0 ? e.freq : 2;
    if (e.type === 'worker-offline' || now - at > freq * 3_000 + 1_000) continue;
    rows.push({
      hostname,
      pid: typeof e.pid === 'number' ? e.pid : null,
      software: typeof e.sw_ident === 'string' ? `${e.sw_ident} ${typeof e.sw_ver === 'string' ? e.sw_ver : ''}`.trim() : null,
      queues: [],
      concurrency: null,
      active: typeof e.active === 'number' ? e.active : null,
      processed: typeof e.processed === 'number' ? e.processed : null,
      loadavg: Array.isArray(e.loadavg) ? (e.loadavg as number[]) : null,
      lastSeen: at,
    });
  }
  return rows;
}

/** Workers (celeriac's registry, merged with every worker's heartbeat events, Python's too), queues, counts. */
export async function overview(app: Celeriac, readOnly: boolean, heartbeats: WorkerRow[] = []): Promise<Overview> {
  const b = app.broker;
  const [live, names, delayed, deadLetters] = await Promise.all([b.workers(), b.queueNames(), b.delayedCount(), b.deadLetterCount()]);
  const queues = [...new Set([app.settings.taskDefaultQueue, ...names, ...live.flatMap((w) => w.queues)])].sort();
  const lengths = await Promise.all(queues.map((q) => b.queueLength(q)));
  const byName = new Map<string, WorkerRow>(heartbeats.map((h) => [h.hostname, h]));
  for (const w of live) {
    const h = byName.get(w.hostname);
    byName.set(w.hostname, {
      hostname: w.hostname,
      pid: w.pid,
      software: h?.software ?? 'celeriac',
      queues: w.queues,
      concurrency: w.concurrency,
      active: w.active,
      processed: w.processed,
      loadavg: h?.loadavg ?? null,
      lastSeen: Math.max(w.lastSeen ?? 0, h?.lastSeen ?? 0) || null,
    });
  }
  return {
    workers: [...byName.values()].sort((a, b) => a.hostname.localeCompare(b.hostname)),
    queues: queues.map((name, i) => ({ name, length: lengths[i]! })),
    delayed,
    deadLetters,
    readOnly,
    at: Date.now(),
  };
}

/** A record as the task list shows it: no traceback, no raw call (the task's own page has them). */
export function listed(r: TaskRecord): Omit<TaskRecord, 'call' | 'traceback'> {
  const { call: _call, traceback: _tb, ...rest } = r;
  return rest;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function num(name: string, v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new HttpError(400, `${name} must be a number (epoch milliseconds), got ${JSON.stringify(v)}`);
  return n;
}

export async function listTasks(history: EventHistory, q: URLSearchParams): Promise<{ tasks: ReturnType<typeof listed>[] }> {
  const limit = num('limit', q.get('limit')) ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) throw new HttpError(400, `limit must be an integer from 1 to 1000, got ${q.get('limit')}`);
  const since = num('since', q.get('since'));
  const until = num('until', q.get('until'));
  const tasks = await history.tasks({
    limit,
    ...(q.get('state') ? { state: q.get('state')! } : {}),
    ...(q.get('name') ? { name: q.get('name')! } : {}),
    ...(q.get('worker') ? { worker: q.get('worker')! } : {}),
    ...(q.get('search') ? { search: q.get('search')! } : {}),
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
  });
  return { tasks: tasks.map(listed) };
}

export function checkId(id: string): string {
  if (!isValidTaskId(id)) throw new HttpError(400, 'malformed task id');
  return id;
}

export async function showTask(app: Celeriac, history: EventHistory, id: string): Promise<unknown> {
  const found = await history.task(checkId(id));
  if (!found) throw new HttpError(404, `task ${id} is not in the event history`);
  const stored = await app.asyncResult(id).state();
  return { task: found.task, children: found.children.map(listed), storedState: stored };
}

export async function act(app: Celeriac, history: EventHistory, id: string, action: string): Promise<unknown> {
  checkId(id);
  switch (action) {
    case 'revoke':
      await app.asyncResult(id).revoke();
      return { ok: true, task_id: id, action };
    case 'terminate':
      await app.asyncResult(id).revoke({ terminate: true });
      return { ok: true, task_id: id, action };
    case 'retry': {
      const found = await history.task(id);
      if (!found) throw new HttpError(404, `task ${id} is not in the event history`);
      const t = found.task;
      if (t.state !== 'FAILURE') throw new HttpError(409, `only a failed task can be retried; ${id} is ${t.state}`);
      if (!t.call || !t.name) throw new HttpError(409, `the history does not hold the arguments of ${id} (larger than 64 KiB), so it cannot be sent again`);
      const res = await app.sendTask(t.name, t.call.args, { kwargs: t.call.kwargs, ...(t.queue ? { queue: t.queue } : {}) });
      return { ok: true, task_id: res.id, retry_of: id, action };
    }
    default:
      throw new HttpError(404, `no such action: ${action}`);
  }
}

type DeadLetterOps = Required<Pick<Broker, 'deadLetterRange' | 'redriveDeadLetter' | 'redriveDeadLetters'>> & Broker;

function deadLetterOps(broker: Broker): DeadLetterOps {
  if (!broker.deadLetterRange || !broker.redriveDeadLetter || !broker.redriveDeadLetters) {
    throw new HttpError(501, `the broker ${broker.url} keeps no dead-letter list the dashboard can read (use redis://)`);
  }
  return broker as DeadLetterOps;
}

export interface DeadLetterList {
  total: number;
  /** Letters per queue among those listed. */
  byQueue: Record<string, number>;
  /** Oldest first, numbered as `celeriac dlq list` numbers them; with the arguments, without the raw message. */
  deadLetters: Omit<DeadLetterView, 'raw'>[];
}

/** The oldest `limit` dead letters (optionally of one queue), as `celeriac dlq list` shows them. */
export async function listDeadLetters(app: Celeriac, q: URLSearchParams): Promise<DeadLetterList> {
  const b = deadLetterOps(app.broker);
  const limit = num('limit', q.get('limit')) ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1_000) throw new HttpError(400, `limit must be an integer from 1 to 1000, got ${q.get('limit')}`);
  const queue = q.get('queue') || null;
  const [total, letters] = await Promise.all([b.deadLetterCount(), b.deadLetterRange(0, limit)]);
  const byQueue: Record<string, number> = {};
  const deadLetters: Omit<DeadLetterView, 'raw'>[] = [];
  letters.forEach((d, i) => {
    byQueue[d.queue] = (byQueue[d.queue] ?? 0) + 1;
    if (queue !== null && d.queue !== queue) return;
    const { raw: _raw, ...v } = describeDeadLetter(d, i + 1, true);
    deadLetters.push(v);
  });
  return { total, byQueue, deadLetters };
}

const SCAN = 500;

/**
 * Sends the dead letter of task `id` back to its queue. Found by reading the list oldest first; the move checks
 * that the letter at that position is still that task's (another redrive or purge may have shifted the list).
 */
export async function redriveDeadLetter(app: Celeriac, id: string): Promise<{ ok: true; task_id: string; queue: string; action: 'redrive' }> {
  checkId(id);
  const b = deadLetterOps(app.broker);
  for (let attempt = 0; attempt < 3; attempt++) {
    const total = await b.deadLetterCount();
    let found: { n: number; queue: string } | null = null;
    for (let start = 0; start < total && !found; start += SCAN) {
      const page = await b.deadLetterRange(start, SCAN);
      if (!page.length) break;
      page.forEach((d, i) => {
        if (!found && describeDeadLetter(d, start + i + 1, false).id === id) found = { n: start + i + 1, queue: d.queue };
      });
    }
    if (!found) throw new HttpError(404, `task ${id} has no dead letter`);
    const { n, queue } = found as { n: number; queue: string };
    if (await b.redriveDeadLetter(n, id)) return { ok: true, task_id: id, queue, action: 'redrive' };
  }
  throw new HttpError(409, `the dead-letter list kept changing while task ${id}'s letter was looked for; try again`);
}

/** Sends every dead letter there now back to its queue, oldest first, in batches. */
export async function redriveAllDeadLetters(app: Celeriac): Promise<{ ok: true; redriven: number; remaining: number; action: 'redrive-all' }> {
  const b = deadLetterOps(app.broker);
  const total = await b.deadLetterCount();
  let done = 0;
  while (done < total) {
    const moved = await b.redriveDeadLetters(Math.min(SCAN, total - done));
    if (!moved) break;
    done += moved;
  }
  return { ok: true, redriven: done, remaining: await b.deadLetterCount(), action: 'redrive-all' };
}
