// `celeriac status`: the live workers.
import type { Flags } from '../args';
import { appFor } from '../connect';

export async function status(flags: Flags): Promise<void> {
  const app = await appFor(flags, 'status');
  try {
    const workers = await app.broker.workers();
    if (!workers.length) console.log('No live workers.');
    for (const w of workers) {
      const ago = w.lastSeen ? `${((Date.now() - w.lastSeen) / 1000).toFixed(1)}s ago` : '?';
      console.log(`${w.hostname} (pid ${w.pid}): OK  queues=${w.queues.join(',')} concurrency=${w.concurrency} active=${w.active} processed=${w.processed} heartbeat=${ago}`);
    }
    console.log(`${workers.length} node(s) online.`);
  } finally {
    await app.close();
  }
}
