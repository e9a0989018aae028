// The start-up banner of a worker (as `celery worker` prints): who it is, where it reads and writes, what it runs.

export interface BannerInfo {
  hostname: string;
  app: string;
  /** Broker and result backend URLs, passwords already hidden. */
  transport: string;
  results: string;
  concurrency: number;
  prefetchMultiplier: number;
  /** Where tasks run, when not on the main pool: `threads` or `processes`. */
  pool?: string;
  queues: readonly string[];
  /** Every registered task with the queue its calls are routed to. */
  tasks: readonly { name: string; queue: string }[];
}

/** Tasks whose calls go to a queue the worker does not consume: they would wait for another worker. */
export function unconsumed(info: Pick<BannerInfo, 'queues' | 'tasks'>): { task: string; queue: string }[] {
  return info.tasks.filter((t) => !info.queues.includes(t.queue)).map((t) => ({ task: t.name, queue: t.queue }));
}

export function banner(info: BannerInfo): string {
  const elsewhere = new Set(unconsumed(info).map((u) => u.task));
  const tasks = info.tasks.length
    ? info.tasks.map((t) => `  . ${t.name}${elsewhere.has(t.name) ? `  (routed to "${t.queue}", not consumed here)` : ''}`)
    : ['  (none registered)'];
  return [
    `${info.hostname} ready.`,
    `- app:         ${info.app}`,
    `- transport:   ${info.transport}`,
    `- results:     ${info.results}`,
    `- concurrency: ${info.concurrency} (prefetch ${info.concurrency * info.prefetchMultiplier})`,
    ...(info.pool && info.pool !== 'main' ? [`- pool:        ${info.pool} (size ${info.concurrency})`] : []),
    `- queues:      ${info.queues.join(', ')}`,
    '',
    '[tasks]',
    ...tasks,
  ].join('\n');
}
