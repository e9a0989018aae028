// `celeriac revoke <id>… [--terminate]`: revokes tasks on every worker (Node or Python).
import { CeleriacError } from '../../errors';
import type { Flags } from '../args';
import { appFor } from '../connect';

export async function revoke(flags: Flags, positionals: string[]): Promise<void> {
  if (!positionals.length) throw new CeleriacError('Usage: celeriac revoke <task-id>… [--terminate] -A <module> | -b <url>');
  const app = await appFor(flags, 'revoke');
  try {
    await app.revoke(positionals, { terminate: flags.terminate === true });
    if (flags.json) console.log(JSON.stringify({ revoked: positionals, terminate: flags.terminate === true }));
    else console.log(`Revoked ${positionals.join(', ')}${flags.terminate ? ' (running ones are aborted)' : ''}.`);
  } finally {
    await app.close();
  }
}
