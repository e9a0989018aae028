// `celeriac call <name>`: sends a task by name and prints its id.
import { CeleriacError } from '../../errors';
import type { Flags } from '../args';
import { appFor } from '../connect';

function json(text: string | undefined, what: string, fallback: unknown): unknown {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    throw new CeleriacError(`--${what} must be JSON, got ${text}`);
  }
}

export async function call(flags: Flags, positionals: string[]): Promise<void> {
  const name = positionals[0];
  if (!name) throw new CeleriacError('Usage: celeriac call <task-name> --args \'[…]\' -A <module>');
  const args = json(flags.args, 'args', []);
  const kwargs = json(flags.kwargs, 'kwargs', {});
  if (!Array.isArray(args)) throw new CeleriacError('--args must be a JSON array');
  const app = await appFor(flags, 'call');
  try {
    const res = await app.sendTask(name, args, {
      kwargs: kwargs as Record<string, unknown>,
      ...(flags.queues ? { queue: flags.queues } : {}),
      ...(flags['task-id'] ? { taskId: flags['task-id'] } : {}),
      ...(flags['dedup-key'] ? { dedupKey: flags['dedup-key'] } : {}),
    });
    console.log(flags.json ? JSON.stringify({ task_id: res.id }) : res.id);
  } finally {
    await app.close();
  }
}
