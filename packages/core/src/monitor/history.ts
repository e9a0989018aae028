// The read side of the event history: what a dashboard (or any other process) uses to list recent tasks, find
// them by argument values, and follow new events live. It reads only the broker's capped history, so every
// process reading it sees the same tasks, and a restart loses nothing.
import type { Broker } from '../broker/broker';
import type { CeleryEvent, MonitorTransport, StoredEvent } from '../broker/monitor';
import { monitorOf } from '../worker/celery-events';
import { applyTaskEvent, childrenOf, matchesTask, type TaskFilter, type TaskRecord } from './tasks';

export interface HistoryTasksOptions extends TaskFilter {
  /** Records returned at most. @default 100 */
  limit?: number;
}

export class EventHistory {
  readonly transport: MonitorTransport;

  constructor(
    broker: Broker,
    /** Events read at most to build the task list (the history's own cap bounds it anyway). */
    readonly window = 10_000,
  ) {
    this.transport = monitorOf(broker, 'the event history');
  }

  /** The newest `count` stored events, oldest first. */
  events(count = 1_000): Promise<StoredEvent[]> {
    return this.transport.history(count);
  }

  /** Every task in the history window, newest first, keyed by id. */
  async records(): Promise<Map<string, TaskRecord>> {
    const records = new Map<string, TaskRecord>();
    for (const { event } of await this.transport.history(this.window)) applyTaskEvent(records, event);
    return records;
  }

  /** Recent tasks, newest first, filtered (state, name, worker, time, search by id or argument value). */
  async tasks(options: HistoryTasksOptions = {}): Promise<TaskRecord[]> {
    const limit = options.limit ?? 100;
    const all = [...(await this.records()).values()].sort((a, b) => b.firstSeen - a.firstSeen);
    const out: TaskRecord[] = [];
    for (const r of all) {
      if (!matchesTask(r, options)) continue;
      out.push(r);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** One task with its children, or null when the history holds nothing of it. */
  async task(id: string): Promise<{ task: TaskRecord; children: TaskRecord[] } | null> {
    const records = await this.records();
    const task = records.get(id);
    if (!task) return null;
    return { task, children: childrenOf(records.values(), id) };
  }

  /** Waits up to `blockMs` for events after `after` (a stream id, or '$' for "from now"). */
  follow(after: string, blockMs = 1_000): Promise<StoredEvent[]> {
    return this.transport.readHistory(after, blockMs);
  }

  /** The newest stored id ('0-0' when empty): where a live reader starts. */
  async lastId(): Promise<string> {
    const [last] = await this.transport.history(1);
    return last?.id ?? '0-0';
  }
}

export type { CeleryEvent, StoredEvent };
