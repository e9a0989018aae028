// Prometheus metrics (prom-client, a registry of the dashboard's own): task counts by name and state and
// runtimes from the live events this dashboard follows; queue lengths, workers online, delayed tasks and dead
// letters read from the broker at each scrape.
import type { Celeriac, CeleryEvent } from '@celeriac/core';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const STATE_OF: Record<string, string> = {
  'task-sent': 'PENDING',
  'task-received': 'RECEIVED',
  'task-started': 'STARTED',
  'task-succeeded': 'SUCCESS',
  'task-failed': 'FAILURE',
  'task-retried': 'RETRY',
  'task-revoked': 'REVOKED',
};

export class DashboardMetrics {
  readonly registry = new Registry();
  readonly #names = new Map<string, string>();
  readonly #tasks: Counter<'name' | 'state'>;
  readonly #runtime: Histogram<'name'>;
  readonly #retries: Counter<'name'>;

  constructor(app: Celeriac) {
    const registers = [this.registry];
    this.#tasks = new Counter({ name: 'celeriac_tasks_total', help: 'Task events seen, by task name and the state they report', labelNames: ['name', 'state'], registers });
    this.#runtime = new Histogram({
      name: 'celeriac_task_runtime_seconds',
      help: 'How long successful tasks ran, by task name',
      labelNames: ['name'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers,
    });
    this.#retries = new Counter({ name: 'celeriac_task_retries_total', help: 'Retries, by task name', labelNames: ['name'], registers });
    // NOTE: the broker gauges are read when /metrics is scraped (not on a timer). prom-client collects the metrics
    // of a scrape concurrently: they share one read of the broker.
    let pending: Promise<{ lengths: [string, number][]; workers: number; delayed: number; dead: number }> | null = null;
    const snapshot = () =>
      (pending ??= (async () => {
        const [names, live, d, dl] = await Promise.all([app.broker.queueNames(), app.broker.workers(), app.broker.delayedCount(), app.broker.deadLetterCount()]);
        const queues = [...new Set([...names, app.settings.taskDefaultQueue, ...live.flatMap((w) => w.queues)])];
        const lengths = await Promise.all(queues.map(async (q): Promise<[string, number]> => [q, await app.broker.queueLength(q)]));
        return { lengths, workers: live.length, delayed: d, dead: dl };
      })().finally(() => void setTimeout(() => (pending = null), 100).unref()));
    new Gauge({
      name: 'celeriac_queue_length',
      help: 'Messages waiting in a queue (all priorities)',
      labelNames: ['queue'],
      registers,
      async collect() {
        const { lengths } = await snapshot();
        this.reset();
        for (const [queue, n] of lengths) this.set({ queue }, n);
      },
    });
    new Gauge({ name: 'celeriac_workers_online', help: 'celeriac workers whose heartbeat is recent', registers, async collect() { this.set((await snapshot()).workers); } });
    new Gauge({ name: 'celeriac_delayed_tasks', help: 'Tasks waiting for their countdown or eta', registers, async collect() { this.set((await snapshot()).delayed); } });
    new Gauge({ name: 'celeriac_dead_letters', help: 'Messages in the dead-letter list', registers, async collect() { this.set((await snapshot()).dead); } });
  }

  /** Counts one event (names come from task-received / task-sent; later events carry only the id). */
  observe(e: CeleryEvent): void {
    const state = STATE_OF[e.type];
    const id = typeof e.uuid === 'string' ? e.uuid : null;
    if (!state || !id) return;
    if (typeof e.name === 'string') this.#names.set(id, e.name);
    const name = this.#names.get(id) ?? 'unknown';
    this.#tasks.inc({ name, state });
    if (e.type === 'task-succeeded' && typeof e.runtime === 'number') this.#runtime.observe({ name }, e.runtime);
    if (e.type === 'task-retried') this.#retries.inc({ name });
    // NOTE: bounded memory: a finished task's name is not needed again.
    if (state === 'SUCCESS' || state === 'FAILURE' || state === 'REVOKED') this.#names.delete(id);
    if (this.#names.size > 100_000) this.#names.delete(this.#names.keys().next().value!);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
