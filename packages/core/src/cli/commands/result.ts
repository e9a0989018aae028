// `celeriac result <id>`: a task's stored state as JSON.
import { CeleriacError } from '../../errors';
import type { Flags } from '../args';
import { appFor } from '../connect';

export async function result(flags: Flags, positionals: string[]): Promise<void> {
  const id = positionals[0];
  if (!id) throw new CeleriacError('Usage: celeriac result <task-id> -A <module>');
  const app = await appFor(flags, 'result');
  try {
    const meta = await app.asyncResult(id).meta();
    console.log(JSON.stringify(meta ?? { task_id: id, status: 'PENDING' }, null, 2));
  } finally {
    await app.close();
  }
}
