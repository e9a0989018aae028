// `celeriac purge`: empties queues; asks on a terminal, needs -f otherwise (as Celery).
import { queueList, type Flags } from '../args';
import { appFor } from '../connect';
import { confirm } from './confirm';

export async function purge(flags: Flags): Promise<number> {
  const app = await appFor(flags, 'purge');
  try {
    const queues = queueList(flags.queues ?? app.settings.taskDefaultQueue);
    const go = await confirm(
      flags.force,
      `This removes every waiting task from ${queues.map((q) => `"${q}"`).join(', ')}; there is no undo (-f skips this question).\nPurge?`,
      `purge would delete every waiting task from ${queues.join(', ')}`,
      'purge',
    );
    if (!go) {
      console.log('Nothing purged.');
      return 0;
    }
    for (const q of queues) console.log(`Purged ${await app.broker.purge(q)} message(s) from ${q}.`);
    return 0;
  } finally {
    await app.close();
  }
}
