// One pool member, a worker_thread or a child process, behind the same small interface.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker as Thread } from 'node:worker_threads';
import type { FromChild, ToChild } from './wire';

export interface Channel {
  send(m: ToChild): void;
  onMessage(fn: (m: FromChild) => void): void;
  /** Called once when it has ended, with why (exit code, signal, or the error that ended a thread). */
  onExit(fn: (why: string) => void): void;
  /** Ends it at once (SIGKILL, or terminate() for a thread). */
  kill(): void;
}

/** The compiled child entry: next to this file in dist/, or dist/'s copy when this runs from src/ (tests). */
function entry(): string {
  const here = join(__dirname, 'child.js');
  if (existsSync(here)) return here;
  const built = join(__dirname.replace(/([\\/])src([\\/]worker[\\/]pool)$/, '$1dist$2'), 'child.js');
  if (existsSync(built)) return built;
  throw new Error(`the pool's child entry is missing (looked for ${here} and ${built}); build @celeriac/core`);
}

function threadChannel(): Channel {
  const t = new Thread(entry());
  let error: Error | null = null;
  t.on('error', (err) => (error = err));
  return {
    send: (m) => t.postMessage(m),
    onMessage: (fn) => void t.on('message', fn),
    onExit: (fn) => void t.once('exit', (code) => fn(error ? `${error.name}: ${error.message}` : `exit code ${code}`)),
    kill: () => void t.terminate(),
  };
}

function processChannel(): Channel {
  // NOTE: the worker's own flags (a --require loader, --max-old-space-size) but not a debugger port it holds.
  const execArgv = process.execArgv.filter((a) => !/^--inspect/.test(a));
  const c: ChildProcess = fork(entry(), [], { serialization: 'advanced', execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let down = false;
  // NOTE: a send to a child that just died fails; its exit is what the pool acts on.
  c.on('error', () => undefined);
  return {
    send: (m) => {
      if (!down && c.connected) c.send(m, () => undefined);
    },
    onMessage: (fn) => void c.on('message', fn as (m: unknown) => void),
    onExit: (fn) =>
      void c.once('exit', (code, signal) => {
        down = true;
        fn(signal ? `signal ${signal}` : `exit code ${code}`);
      }),
    kill: () => {
      down = true;
      c.kill('SIGKILL');
    },
  };
}

export function openChannel(kind: 'threads' | 'processes'): Channel {
  return kind === 'threads' ? threadChannel() : processChannel();
}
