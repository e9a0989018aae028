// The dashboard's JSON routes: overview (workers, queues), tasks (filters, search), one task, and the actions.
import { isValidTaskId, type Celeriac, type EventHistory, type TaskRecord } from '@celeriac/core';

export interface Overview {
  workers: { hostname: string; pid: number; queues: string[]; concurrency: number; active: number; processed: number; lastSeen: number | null; startedAt: number }[];
  queues: { name: string; length: number }[];
  delayed: number;
  deadLetters: number;
  readOnly: boolean;
  at: number;
}

export async function overview(app: Celeriac, readOnly: boolean): Promise<Overview> {
  const b = app.broker;
  const [live, names, delayed, deadLetters] = await Promise.all([b.workers(), b.queueNames(), b.delayedCount(), b.deadLetterCount()]);
  const queues = [...new Set([app.settings.taskDefaultQueue, ...names, ...live.flatMap((w) => w.queues)])].sort();
  const lengths = await Promise.all(queues.map((q) => b.queueLength(q)));
  return {
    workers: live.map((w) => ({ hostname: w.hostname, pid: w.pid, queues: w.queues, concurrency: w.concurrency, active: w.active, processed: w.processed, lastSeen: w.lastSeen ?? null, startedAt: w.startedAt })),
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
