#!/usr/bin/env node
// The `celeriac` command: worker, beat, status, result, purge, call, queues, dlq, revoke, inspect, dashboard (like
// `celery -A … worker`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CeleriacError } from '../errors';
import { parse } from './args';
import { beat } from './commands/beat';
import { call } from './commands/call';
import { dlq } from './commands/dlq';
import { inspect } from './commands/inspect';
import { dashboard } from './commands/dashboard';
import { revoke } from './commands/revoke';
import { purge } from './commands/purge';
import { queues } from './commands/queues';
import { result } from './commands/result';
import { status } from './commands/status';
import { worker } from './commands/worker';
import { COMMAND_USAGE, USAGE } from './usage';

function version(): string {
  // NOTE: read at run time: dist/cli/ and src/cli/ are both two levels below the package root.
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<number> {
  const { command, positionals, flags } = parse(argv);
  if (flags.version) {
    console.log(`celeriac ${version()}`);
    return 0;
  }
  if (command && !(command in COMMAND_USAGE)) {
    console.error(`Unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
    return 1;
  }
  if (flags.help || !command) {
    console.log(command ? COMMAND_USAGE[command] : USAGE);
    return command || flags.help ? 0 : 1;
  }
  switch (command) {
    case 'worker':
      await worker(flags);
      return -1; // keeps running until a signal
    case 'beat': {
      const code = await beat(flags);
      return code;
    }
    case 'status':
      await status(flags);
      return 0;
    case 'result':
      await result(flags, positionals);
      return 0;
    case 'purge':
      return purge(flags);
    case 'call':
      await call(flags, positionals);
      return 0;
    case 'dlq':
      return dlq(flags, positionals);
    case 'revoke':
      await revoke(flags, positionals);
      return 0;
    case 'inspect':
      return inspect(flags, positionals);
    case 'dashboard':
      await dashboard(flags);
      return -1; // keeps running until a signal
    default:
      await queues(flags);
      return 0;
  }
}

/** Errors a user causes (a setting, a flag, an unreachable broker) print their message only; anything else its stack. */
function expected(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof CeleriacError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    const text = err instanceof Error ? (expected(err) ? err.message : (err.stack ?? err.message)) : String(err);
    console.error(`celeriac: ${text}`);
    process.exit(1);
  },
);
