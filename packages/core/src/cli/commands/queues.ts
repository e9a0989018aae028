// `celeriac queues`: what waits where (each queue, the delayed set, the dead letters) and who is there to run it.
import type { WorkerInfo } from '../../broker/broker';
import { queueList, type Flags } from '../args';
import { appFor } from '../connect';

export interface QueuesReport {
  /** Waiting messages per queue, all priorities. */
  queues: Record<string, number>;
  /** Messages waiting for their countdown / eta. */
  delayed: number;
  deadLetters: number;
  workers: WorkerInfo[];
}

export async function queues(flags: Flags): Promise<void> {
  const app = await appFor(flags, 'queues');
  try {
    const broker = app.broker;
    const workers = await broker.workers();
    const names = flags.queues
      ? queueList(flags.queues)
      : [...new Set([...(await broker.queueNames()), app.settings.taskDefaultQueue, ...workers.flatMap((w) => w.queues)])].sort();
    const report: QueuesReport = { queues: {}, delayed: await broker.delayedCount(), deadLetters: await broker.deadLetterCount(), workers };
    for (const q of names) report.queues[q] = await broker.queueLength(q);
    console.log(flags.json ? JSON.stringify(report, null, 2) : text(report));
  } finally {
    await app.close();
  }
}

function text(r: QueuesReport): string {
  const names = Object.keys(r.queues);
  const width = Math.max(5, ...names.map((n) => n.length));
  const lines = ['Queues (waiting messages, all priorities):'];
  for (const n of names) {
    const consumers = r.workers.filter((w) => w.queues.includes(n)).length;
    lines.push(`  ${n.padEnd(width)}  ${String(r.queues[n]).padStart(6)}  ${consumers ? `${consumers} worker(s)` : 'no worker consumes it'}`);
  }
  lines.push(`Delayed (countdown/eta): ${r.delayed}`);
  lines.push(`Dead letters: ${r.deadLetters}`);
  lines.push(`Workers: ${r.workers.length} online`);
  for (const w of r.workers) lines.push(`  ${w.hostname} (pid ${w.pid}): queues=${w.queues.join(',')} concurrency=${w.concurrency} active=${w.active}`);
  return lines.join('\n');
}
