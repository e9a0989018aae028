// Shared by test/faults (npm test) and test/chaos (npm run test:chaos): real worker processes running the
// CLI against fixtures/chaos-tasks.js, and the counting of what ran, what completed and what ran twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { createApp, type AppConfig, type Celeriac } from '@celeriac/core';
import { startRedis, type RedisServer } from '../support/redis-server';

export const CLI = join(__dirname, '../../dist/cli/celeriac.js');
export const FIXTURE = join(__dirname, '../fixtures/chaos-tasks.js');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface WorkerProcess {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly label: string;
  /** The last 64 kB of its stdout and stderr. */
  output(): string;
  /** Resolves with how it ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  alive(): boolean;
}

export interface SpawnOptions {
  url: string;
  queue: string;
  concurrency?: number;
  label?: string;
  /** Extra CELERIAC_* settings, e.g. { WORKER_HEARTBEAT_TIMEOUT: '2000' }. */
  settings?: Record<string, string>;
}

/** Starts and tracks worker processes; killAll() in afterEach/afterAll ends every one of them. */
export class WorkerProcesses {
  readonly all = new Set<WorkerProcess>();
  #n = 0;

  spawn(o: SpawnOptions): WorkerProcess {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CELERIAC_')) env[k] = v;
    env.CELERIAC_BROKER_URL = o.url;
    env.CELERIAC_WORKER_HEARTBEAT_INTERVAL = '500';
    env.CELERIAC_WORKER_HEARTBEAT_TIMEOUT = '2000';
    for (const [k, v] of Object.entries(o.settings ?? {})) env[`CELERIAC_${k}`] = v;
    const label = o.label ?? `w${++this.#n}`;
    const proc = spawn(process.execPath, [CLI, 'worker', '-A', FIXTURE, '-Q', o.queue, '-c', String(o.concurrency ?? 20), '-l', 'warn', '-n', `chaos-${label}`], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const keep = (b: Buffer) => {
      out += b.toString();
      if (out.length > 65_536) out = out.slice(-65_536);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
      proc.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
    });
    const w: WorkerProcess = {
      proc,
      pid: proc.pid!,
      label,
      output: () => out,
      exited,
      alive: () => proc.exitCode === null && proc.signalCode === null,
    };
    this.all.add(w);
    void exited.then(() => this.all.delete(w));
    return w;
  }

  async killAll(): Promise<void> {
    await Promise.all(
      [...this.all].map(async (w) => {
        if (w.alive()) w.proc.kill('SIGKILL');
        await w.exited;
      }),
    );
  }
}

/** A worker process that has registered, with its worker id (celeriac.workers member). */
export interface ReadyWorker {
  w: WorkerProcess;
  id: string;
}

export interface ChaosEnvOptions {
  /** Start redis-server with AOF (appendfsync always), for scenarios that kill and restart it. Otherwise an own server without AOF. */
  appendonly?: boolean;
  /** Settings for the app besides `broker` (the server's URL), e.g. { brokerConnectionTimeout: 2_000 }. */
  appConfig?: AppConfig;
}

/**
 * What a fault or chaos suite runs against. `server`, `redis` and `app` are filled in by the beforeAll hook
 * that useChaosEnv registers: they are valid only inside tests (and hooks registered after useChaosEnv),
 * not while the describe block is being defined.
 */
export interface ChaosEnv {
  /** A redis-server of the suite's own. */
  server: RedisServer;
  /** A plain client of `server`, for assertions. */
  redis: Redis;
  /** createApp(name, { broker: server.url(), ...appConfig }). */
  app: Celeriac;
  /** Every worker process of the suite; all are SIGKILLed in afterAll. */
  readonly workers: WorkerProcesses;
  /** Spawns a worker process on `server`. */
  spawn(o: Omit<SpawnOptions, 'url'>): WorkerProcess;
  /** Spawns a worker process on `server` and waits until it has registered. */
  startWorker(o: Omit<SpawnOptions, 'url'>): Promise<ReadyWorker>;
  /** Spawns `n` worker processes on `server` at once (the i-th labelled labels[i], if given), then waits until each has registered. */
  startWorkers(n: number, o: Omit<SpawnOptions, 'url' | 'label'>, labels?: string[]): Promise<ReadyWorker[]>;
}

/**
 * Registers, in the enclosing describe block, a beforeAll that starts a redis-server, a client and an app
 * named `name`, and an afterAll that kills every worker process, closes the app and stops the server.
 */
export function useChaosEnv(name: string, options: ChaosEnvOptions = {}): ChaosEnv {
  const env = {
    workers: new WorkerProcesses(),
    spawn: (o) => env.workers.spawn({ url: env.server.url(), ...o }),
    startWorker: async (o) => {
      const w = env.spawn(o);
      return { w, id: await waitForWorker(env.redis, w) };
    },
    startWorkers: async (n, o, labels) => {
      const procs = Array.from({ length: n }, (_, i) => env.spawn(labels?.[i] === undefined ? o : { ...o, label: labels[i] }));
      const ids = await Promise.all(procs.map((w) => waitForWorker(env.redis, w)));
      return procs.map((w, i) => ({ w, id: ids[i]! }));
    },
  } as ChaosEnv;

  beforeAll(async () => {
    env.server = await startRedis(options.appendonly ? { appendonly: true } : { own: true });
    env.redis = env.server.client();
    env.app = createApp(name, { broker: env.server.url(), ...options.appConfig });
  });

  afterAll(async () => {
    await env.workers.killAll();
    await (env.app as Celeriac | undefined)?.close();
    await (env.server as RedisServer | undefined)?.stop();
  });

  return env;
}

/** The worker id (celeriac.workers member) of a process, once it has registered. */
export async function waitForWorker(redis: Redis, w: WorkerProcess, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = await redis.zrange('celeriac.workers', 0, -1);
    const id = ids.find((i) => i.includes(`:${w.pid}:`));
    if (id) return id;
    if (!w.alive()) throw new Error(`worker ${w.label} exited before it was ready:\n${w.output()}`);
    if (Date.now() > deadline) throw new Error(`worker ${w.label} not ready after ${timeoutMs} ms:\n${w.output()}`);
    await sleep(50);
  }
}

export async function waitFor(what: string, pred: () => Promise<boolean> | boolean, timeoutMs: number, every = 100): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await pred()) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(every);
  }
}

/** Sends `n` chaos.work tasks, `batch` at a time; returns their ids in order. */
export async function sendWork(app: Celeriac, queue: string, n: number, ms: number | (() => number) = 0, batch = 500): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i += batch) {
    const rs = await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, (_, j) =>
        app.sendTask('chaos.work', [`t${i + j}`, typeof ms === 'function' ? ms() : ms], { queue }),
      ),
    );
    for (const r of rs) ids.push(r.id);
  }
  return ids;
}

/** Tracks which task ids have a SUCCESS result (celery-task-meta-<id>), reading only the ones still open. */
export class Completion {
  readonly open: Set<string>;
  readonly states = new Map<string, string>();

  constructor(
    readonly redis: Redis,
    ids: Iterable<string> = [],
  ) {
    this.open = new Set(ids);
  }

  add(ids: Iterable<string>): void {
    for (const id of ids) this.open.add(id);
  }

  get done(): number {
    return this.states.size - [...this.states.values()].filter((s) => s !== 'SUCCESS').length;
  }

  /** Reads the open ids; returns how many are still open (no SUCCESS yet). */
  async poll(): Promise<number> {
    const open = [...this.open];
    for (let i = 0; i < open.length; i += 1000) {
      const chunk = open.slice(i, i + 1000);
      const vals = await this.redis.mget(...chunk.map((id) => `celery-task-meta-${id}`));
      vals.forEach((v, j) => {
        if (v === null) return;
        const status = (JSON.parse(v) as { status: string }).status;
        this.states.set(chunk[j]!, status);
        if (status === 'SUCCESS') this.open.delete(chunk[j]!);
      });
    }
    return this.open.size;
  }

  async waitAll(timeoutMs: number, onTick?: (open: number) => void): Promise<number> {
    const total = this.open.size;
    try {
      return await waitFor(
        `${total} task results`,
        async () => {
          const open = await this.poll();
          onTick?.(open);
          return open === 0;
        },
        timeoutMs,
        250,
      );
    } catch (err) {
      const states: Record<string, number> = {};
      for (const id of this.open) {
        const s = this.states.get(id) ?? 'PENDING';
        states[s] = (states[s] ?? 0) + 1;
      }
      throw new Error(`${(err as Error).message}: ${this.open.size} of ${total} still open ${JSON.stringify(states)}`);
    }
  }
}

/** How many times each task ran (from chaos.runs). */
export async function runsPerTask(redis: Redis): Promise<Map<string, number>> {
  const runs = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, members] = await redis.sscan('chaos.runs', cursor, 'COUNT', 5000);
    cursor = next;
    for (const m of members) {
      const id = m.slice(0, m.indexOf('|'));
      runs.set(id, (runs.get(id) ?? 0) + 1);
    }
  } while (cursor !== '0');
  return runs;
}

/** Tasks among `ids` that ran more than once, and the extra runs. */
export async function duplicates(redis: Redis, ids: Iterable<string>): Promise<{ tasks: number; extraRuns: number; neverRan: number }> {
  const runs = await runsPerTask(redis);
  let tasks = 0;
  let extraRuns = 0;
  let neverRan = 0;
  for (const id of ids) {
    const n = runs.get(id) ?? 0;
    if (n === 0) neverRan++;
    if (n > 1) {
      tasks++;
      extraRuns += n - 1;
    }
  }
  return { tasks, extraRuns, neverRan };
}

/** Messages still in queue lists and in every worker's unacked hash. */
export async function inRedis(redis: Redis, queue: string): Promise<{ queued: number; held: number }> {
  const queued = (await Promise.all([queue, `${queue}\x06\x163`, `${queue}\x06\x166`, `${queue}\x06\x169`].map((l) => redis.llen(l)))).reduce((a, b) => a + b, 0);
  const hashes = await redis.keys('celeriac.unacked.*');
  let held = 0;
  for (const h of hashes) held += await redis.hlen(h);
  return { queued, held };
}

/** One clear line of figures. */
export function report(scenario: string, figures: Record<string, string | number>): void {
  console.log(`[${scenario}] ${Object.entries(figures).map(([k, v]) => `${k}=${v}`).join(' ')}`);
}
