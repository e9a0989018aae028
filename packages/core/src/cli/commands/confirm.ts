// Asking before something that cannot be undone: on a terminal a yes/no question, elsewhere -f is required.
import { createInterface } from 'node:readline/promises';
import { CeleriacError } from '../../errors';

/** True to go ahead. Without a terminal and without -f it refuses: "<refusal> and there is no terminal…; add -f to <verb> anyway". */
export async function confirm(force: boolean | undefined, question: string, refusal: string, verb: string): Promise<boolean> {
  if (force) return true;
  // NOTE: no terminal to ask on (a script, a pipe): refuse rather than guess; -f says it was meant.
  if (!process.stdin.isTTY) throw new CeleriacError(`${refusal} and there is no terminal to confirm it on; add -f (--force) to ${verb} anyway`);
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`${question} (yes/NO) `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
