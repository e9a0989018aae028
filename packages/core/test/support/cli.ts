// Runs the built `celeriac` command in child processes, as users run it (for the CLI specs).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const CORE = resolve(__dirname, '../..');
export const CLI = join(CORE, 'dist/cli/celeriac.js');
export const FIXTURES = join(CORE, 'test/fixtures');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build -w @celeriac/core\` first`);
}

function cleanEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
  if (!('CELERIAC_BROKER_URL' in env)) delete out.CELERIAC_BROKER_URL;
  return out;
}

/** `celeriac …args` to completion (killed after 20 s). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<Run> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: FIXTURES, env: cleanEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', rej);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

/** A long-running command (a worker): its combined output so far, and a way to wait for a line. */
export class CliProcess {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<number | null>;
  /** When the process exited (epoch ms). */
  exitedAt = 0;
  #waiters = new Set<() => void>();

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], { cwd: FIXTURES, env: cleanEnv(env) });
    const on = (b: Buffer) => {
      this.output += b.toString();
      for (const w of [...this.#waiters]) w();
    };
    this.child.stdout!.on('data', on);
    this.child.stderr!.on('data', on);
    this.exited = new Promise((res) =>
      this.child.on('exit', (code) => {
        this.exitedAt = Date.now();
        res(code);
      }),
    );
  }

  /** Resolves with the time the output first matched `pattern`; rejects after `timeout` ms with the output. */
  waitFor(pattern: RegExp, timeout = 15_000): Promise<number> {
    if (pattern.test(this.output)) return Promise.resolve(Date.now());
    return new Promise((res, rej) => {
      const check = () => {
        if (!pattern.test(this.output)) return;
        done();
        res(Date.now());
      };
      const timer = setTimeout(() => {
        done();
        rej(new Error(`no ${pattern} within ${timeout} ms; output:\n${this.output}`));
      }, timeout);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
    });
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
