// Shared by the interop suites: a real Python Celery worker (Debian's python3-celery, importable only by
// /usr/bin/python3), Python producer scripts that print JSON, and a celeriac app with the Node tasks.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createApp, type Celeriac, consoleLogger, type TaskContext } from '../../src';

export const PY_DIR = join(__dirname, 'py');
export const PYTHON = '/usr/bin/python3';

export function pyEnv(redisUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, INTEROP_REDIS_URL: redisUrl, BROKER_URL: redisUrl, PYTHONPATH: PY_DIR, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...extra };
  delete env.PYTHONHOME;
  return env;
}

export interface PythonWorker {
  readonly name: string;
  readonly proc: ChildProcess;
  /** Everything the worker logged so far (stdout and stderr). */
  logs(): string;
  /** Resolves when a log line matches, rejects after `timeout` ms. */
  waitForLog(re: RegExp, timeout?: number): Promise<string>;
  stop(): Promise<void>;
}

export interface PythonWorkerOptions {
  queues: string[];
  /** Node name, `<name>@%h`. */
  name: string;
  concurrency?: number;
  prefetch?: number;
  /** How long to wait for the "ready." log line. @default 20 000 */
  readyTimeout?: number;
  /** The `-A` module and the directory it is in. @default interop_app in py/ */
  module?: string;
  cwd?: string;
  /** Send Celery's worker heartbeat events (`--without-heartbeat` otherwise). @default false */
  heartbeat?: boolean;
}

/** `python3 -m celery -A interop_app worker …`, resolved once it logs "ready.". Waits on a log line, never sleeps. */
export async function startPythonWorker(redisUrl: string, o: PythonWorkerOptions): Promise<PythonWorker> {
  const args = [
    '-m', 'celery', '-A', o.module ?? 'interop_app', 'worker',
    '-P', 'threads', '-c', String(o.concurrency ?? 4),
    '-Q', o.queues.join(','),
    '-n', `${o.name}@%h`,
    '--without-gossip', '--without-mingle', ...(o.heartbeat ? [] : ['--without-heartbeat']),
    '-l', 'info',
  ];
  const proc = spawn(PYTHON, args, {
    cwd: o.cwd ?? PY_DIR,
    env: pyEnv(redisUrl, { INTEROP_PREFETCH: String(o.prefetch ?? 4), ...(o.cwd ? { PYTHONPATH: o.cwd } : {}) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const w of [...waiters]) w();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.once('exit', () => {
    for (const w of [...waiters]) w();
  });

  const waitForLog = (re: RegExp, timeout = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const m = re.exec(text);
        if (m) {
          done();
          resolve(m[0]);
        } else if (proc.exitCode !== null || proc.signalCode !== null) {
          done();
          reject(new Error(`Python worker ${o.name} exited (${proc.exitCode ?? proc.signalCode}) before logging ${re}:\n${text}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`Python worker ${o.name} did not log ${re} within ${timeout} ms:\n${text}`));
      }, timeout);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const killer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  };

  try {
    await waitForLog(new RegExp(`${o.name}@\\S+ ready\\.`), o.readyTimeout ?? 20_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: o.name, proc, logs: () => text, waitForLog, stop };
}

/** Runs one scenario of py/producer.py and returns the JSON it printed. */
export function runPy<T = any>(redisUrl: string, params: Record<string, unknown>, timeout = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(
      PYTHON,
      [join(PY_DIR, 'producer.py'), JSON.stringify(params)],
      { cwd: PY_DIR, env: pyEnv(redisUrl), timeout, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`producer.py ${params.scenario} failed: ${err.message}\n${stderr}`));
        const last = stdout.trim().split('\n').pop() ?? '';
        try {
          resolve(JSON.parse(last) as T);
        } catch {
          reject(new Error(`producer.py ${params.scenario} printed no JSON:\n${stdout}\n${stderr}`));
        }
      },
    );
  });
}

/** A custom error class: Python re-raises it as a class of the same name (made on the fly). */
export class PaymentDeclined extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PaymentDeclined';
  }
}

/** Order in which `node.record` ran, per key. */
export type Records = Map<string, string[]>;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A celeriac app on `redisUrl` with the Node tasks the Python side calls. Routes mirror py/interop_app.py:
 * `proj.*` → queue `py` (the Python worker), `node.*` → queue `node` (the celeriac worker).
 */
export function createInteropApp(redisUrl: string): { app: Celeriac; records: Records } {
  const app = createApp('interop', {
    broker: redisUrl,
    logger: consoleLogger('silent'),
    taskRoutes: { 'proj.*': 'py', 'node.*': 'node', 'shared.*': 'shared' },
  });
  const records: Records = new Map();
  app.task('node.add', (x: number, y: number) => x + y);
  app.task('node.mul', (x: number, y: number) => x * y);
  app.task('node.sum', (xs: number[]) => xs.reduce((a, b) => a + b, 0));
  // A result JSON cannot carry: stored as FAILURE with kombu's EncodeError.
  app.task('node.bigint', () => 10n as unknown as number);
  // Python kwargs arrive as one trailing object argument.
  app.task('node.echo', (...args: unknown[]) => ({ args }));
  app.task(
    'node.info',
    (ctx: TaskContext, ...args: unknown[]) => ({
      id: ctx.id,
      args,
      queue: ctx.queue,
      rootId: ctx.rootId,
      parentId: ctx.parentId,
      groupId: ctx.groupId,
      retries: ctx.retries,
      now: Date.now(),
    }),
    { bind: true },
  );
  app.task('node.fail_type', (msg: string) => {
    throw new TypeError(msg);
  });
  app.task('node.fail_custom', (msg: string) => {
    throw new PaymentDeclined(msg);
  });
  app.task(
    'node.flaky',
    (ctx: TaskContext, times: number) => {
      if (ctx.retries < times) ctx.retry({ countdown: 100 });
      return { retries: ctx.retries };
    },
    { bind: true, maxRetries: 5 },
  );
  app.task('node.record', (key: string, tag: string) => {
    const list = records.get(key) ?? [];
    list.push(tag);
    records.set(key, list);
    return tag;
  });
  // An errback: Celery calls it with the failed task's id (old-style errback signature).
  app.task('node.on_error', async (taskId: string) => {
    const meta = await app.asyncResult(taskId).meta();
    const exc = (meta?.result ?? {}) as { exc_type?: string; exc_message?: unknown; exc_module?: string };
    return { failedId: taskId, state: meta?.status ?? null, excType: exc.exc_type ?? null, excModule: exc.exc_module ?? null, excMessage: exc.exc_message ?? null };
  });
  app.task('shared.add', async (x: number, y: number) => {
    await sleep(20);
    return { sum: x + y, by: 'node' };
  });
  return { app, records };
}

/** Polls `fn` until it returns true, at most `timeout` ms. */
export async function eventually(fn: () => Promise<boolean>, timeout = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** What py/producer.py prints for one Python-side AsyncResult. */
export interface PyOutcome<T = unknown> {
  id: string;
  ok: boolean;
  result?: T;
  exc_type?: string;
  exc_module?: string;
  exc_args?: unknown[];
  state?: string;
  /** Set by the `send` scenario: when Python sent the task (epoch ms). */
  sent_at?: number;
}
