// `celeriac inspect <command>`: asks every worker, Node or Python, over Celery's pidbox and prints the replies.
import { CeleriacError } from '../../errors';
import { monitorOf } from '../../worker/celery-events';
import type { Flags } from '../args';
import { appFor } from '../connect';

export const INSPECT_COMMANDS = ['ping', 'active', 'reserved', 'scheduled', 'registered', 'revoked', 'stats'] as const;

function seconds(flags: Flags): number {
  if (flags.timeout === undefined) return 1_000;
  const s = Number(flags.timeout);
  if (!Number.isFinite(s) || s <= 0 || s > 300) throw new CeleriacError(`--timeout must be a number of seconds from 0 to 300, got ${flags.timeout}`);
  return Math.round(s * 1000);
}

/** Returns the exit code: 0 when some worker replied, 69 (EX_UNAVAILABLE, as Celery's) when none did. */
export async function inspect(flags: Flags, positionals: string[]): Promise<number> {
  const what = positionals[0];
  if (!what || !(INSPECT_COMMANDS as readonly string[]).includes(what)) {
    throw new CeleriacError(`celeriac inspect needs one of ${INSPECT_COMMANDS.join(', ')}${what ? `, got ${JSON.stringify(what)}` : ''}`);
  }
  const timeout = seconds(flags);
  const destination = flags.destination ? flags.destination.split(',').map((d) => d.trim()).filter(Boolean) : undefined;
  const app = await appFor(flags, 'inspect');
  try {
    const monitor = monitorOf(app.broker, 'celeriac inspect');
    const replies = await monitor.broadcast(what, {}, { timeout, ...(destination ? { destination } : {}) });
    replies.sort((a, b) => a.hostname.localeCompare(b.hostname));
    if (flags.json) {
      console.log(JSON.stringify(Object.fromEntries(replies.map((r) => [r.hostname, r.reply]))));
    } else {
      for (const { hostname, reply } of replies) {
        const ok = !(typeof reply === 'object' && reply !== null && 'error' in reply);
        console.log(`-> ${hostname}: ${ok ? 'OK' : 'ERROR'}`);
        const shown = what === 'ping' && ok ? (reply as { ok?: unknown }).ok : reply;
        const text = typeof shown === 'string' ? shown : JSON.stringify(shown, null, 2);
        console.log(text.split('\n').map((l) => `    ${l}`).join('\n'));
      }
    }
    if (!replies.length) {
      console.error(`No worker replied within ${timeout / 1000} s (${app.broker.url}).`);
      return 69;
    }
    if (!flags.json) console.log(`\n${replies.length} node${replies.length === 1 ? '' : 's'} online.`);
    return 0;
  } finally {
    await app.close();
  }
}
