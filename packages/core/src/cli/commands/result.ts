// `celeriac result <id>`: a task's stored state as JSON.
import { CeleriacError, ConfigurationError } from '../../errors';
import type { Flags } from '../args';
import { appFor, memoryBackend } from '../connect';

export async function result(flags: Flags, positionals: string[]): Promise<void> {
  const id = positionals[0];
  if (!id) throw new CeleriacError('Usage: celeriac result <task-id> -A <module>');
  const app = await appFor(flags, 'result');
  const inProcess = memoryBackend(app);
  if (inProcess) {
    await app.close();
    throw new ConfigurationError(
      `celeriac result: the result backend is ${inProcess}, which lives inside this one process, so no result stored elsewhere is there. Set the resultBackend setting (or CELERIAC_RESULT_BACKEND if the app reads it), or leave it unset to use the broker.`,
    );
  }
  try {
    const meta = await app.asyncResult(id).meta();
    console.log(JSON.stringify(meta ?? { task_id: id, status: 'PENDING' }, null, 2));
  } finally {
    await app.close();
  }
}
