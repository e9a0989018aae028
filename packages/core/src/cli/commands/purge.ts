// `celeriac purge`: empties queues; asks on a terminal, needs -f otherwise (as Celery).
import { createInterface } from 'node:readline/promises';
import { CeleriacError } from '../../errors';
import { queueList, type Flags } from '../args';
import { appFor } from '../connect';

async function confirm(queues: string[]): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(
      `This removes every waiting task from ${queues.map((q) => `"${q}"`).join(', ')}; there is no undo (-f skips this question).\nPurge? (yes/NO) `,
    );
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export async function purge(flags: Flags): Promise<number> {
  const app = await appFor(flags, 'purge');
  try {
    const queues = queueList(flags.queues ?? app.settings.taskDefaultQueue);
    if (!flags.force) {
      // NOTE: no terminal to ask on (a script, a pipe): refuse rather than guess; -f says it was meant.
      if (!process.stdin.isTTY) {
        throw new CeleriacError(`purge would delete every waiting task from ${queues.join(', ')} and there is no terminal to confirm it on; add -f (--force) to purge anyway`);
      }
      if (!(await confirm(queues))) {
        console.log('Nothing purged.');
        return 0;
      }
    }
    for (const q of queues) console.log(`Purged ${await app.broker.purge(q)} message(s) from ${q}.`);
    return 0;
  } finally {
    await app.close();
  }
}
