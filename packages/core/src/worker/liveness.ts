// Keeps a worker's heartbeat going while its event loop is blocked (a synchronous task on the main pool): a
// worker_thread with its own event loop and its own Redis connection per worker marks each worker alive every
// heartbeat interval (when the main loop has not beaten itself for that long), so workers in other processes
// never take a busy worker for dead and run its tasks a second time. Only a process that is gone stops beating.
// One thread serves every worker of the process; it ends a few seconds after the last worker has stopped.
import { Worker as Thread } from 'node:worker_threads';
import type { BrokerConsumer, LivenessTarget } from '../broker/broker';
import type { Logger } from '../utils/logger';

/** How long the thread outlives its last worker (a worker started meanwhile reuses it). */
const IDLE_MS = 2_000;

// NOTE: the thread's code is plain JavaScript in a string (not a file next to this one), so it runs the same from
// dist/ and from src/ under a TypeScript loader. It only beats: recovery and deferred messages stay on the main loop.
const THREAD_CODE = `
const { workerData, parentPort } = require('node:worker_threads');
const Redis = require(workerData.ioredis);
const beats = new Map();
parentPort.on('message', (m) => {
  if (m.t === 'add') {
    const { target } = m;
    const options = { ...target.options, connectionName: 'celeriac-liveness', maxRetriesPerRequest: null,
      retryStrategy: (n) => Math.min(50 * n, 1000), enableOfflineQueue: false };
    const client = options.sentinels ? new Redis(options) : new Redis(target.url, options);
    client.on('error', () => undefined);
    client.defineCommand('celeriacAlive', { numberOfKeys: 2, lua: target.lua });
    let inFlight = false;
    const timer = setInterval(() => {
      // NOTE: the main loop's own heartbeat is enough while it runs: beat only when it has not beaten for an interval.
      if (inFlight || Date.now() - Number(Atomics.load(m.lastMain, 0)) < m.interval) return;
      inFlight = true;
      client.celeriacAlive(target.workers, target.info, target.member, target.ttl)
        .catch(() => undefined).finally(() => { inFlight = false; });
    }, m.interval);
    beats.set(m.id, { client, timer });
  } else if (m.t === 'remove') {
    const b = beats.get(m.id);
    beats.delete(m.id);
    const done = () => parentPort.postMessage({ t: 'removed', id: m.id });
    if (!b) return done();
    clearInterval(b.timer);
    b.client.quit().catch(() => b.client.disconnect()).finally(done);
  }
});
`;

interface Shared {
  thread: Thread;
  /** Workers beating through it. */
  workers: number;
  /** Ends it when no worker has come back within IDLE_MS. */
  idle: NodeJS.Timeout | null;
  /** Stops waiting for the thread to confirm a worker's connection is closed. */
  removed: Map<number, () => void>;
}

let shared: Shared | null = null;
let nextId = 0;

function thread(logger: Logger): Shared {
  if (shared) {
    if (shared.idle) clearTimeout(shared.idle);
    shared.idle = null;
    return shared;
  }
  const t = new Thread(THREAD_CODE, {
    eval: true,
    workerData: { ioredis: require.resolve('ioredis') },
    // NOTE: a few MB at most: a connection and a timer per worker.
    resourceLimits: { maxOldGenerationSizeMb: 64 },
  });
  const s: Shared = { thread: t, workers: 0, idle: null, removed: new Map() };
  t.on('message', (m: { t: string; id: number }) => {
    if (m.t !== 'removed') return;
    s.removed.get(m.id)?.();
    s.removed.delete(m.id);
  });
  t.on('error', (err) => logger.error(`the heartbeat thread failed (heartbeats now come from the main event loop only): ${err.message}`));
  t.on('exit', () => {
    for (const r of s.removed.values()) r();
    s.removed.clear();
    if (shared === s) shared = null;
  });
  t.unref();
  shared = s;
  return s;
}

/** A worker's beats from the shared heartbeat thread. */
export class LivenessThread {
  readonly #id = ++nextId;
  #stopped: Promise<void> | null = null;
  readonly #shared: Shared;
  /** When the main loop last beat (ms), shared with the thread, which then need not. */
  readonly #lastMain = new BigInt64Array(new SharedArrayBuffer(8));

  constructor(target: LivenessTarget, interval: number, logger: Logger) {
    this.#shared = thread(logger);
    this.#shared.workers++;
    this.#shared.thread.postMessage({ t: 'add', id: this.#id, target, interval, lastMain: this.#lastMain });
  }

  /** The main loop has just beaten: the thread skips its beats until the main loop misses one (blocked). */
  mainBeat(): void {
    Atomics.store(this.#lastMain, 0, BigInt(Date.now()));
  }

  /** Stops this worker's beats and closes its connection (bounded: 2 s). */
  stop(): Promise<void> {
    if (this.#stopped) return this.#stopped;
    const s = this.#shared;
    this.#stopped = new Promise<void>((resolve) => {
      const bound = setTimeout(resolve, 2_000);
      s.removed.set(this.#id, () => {
        clearTimeout(bound);
        resolve();
      });
      s.thread.postMessage({ t: 'remove', id: this.#id });
    }).then(() => {
      if (--s.workers > 0 || shared !== s) return;
      s.idle = setTimeout(() => {
        if (shared === s) shared = null;
        void s.thread.terminate();
      }, IDLE_MS);
      s.idle.unref();
    });
    return this.#stopped;
  }
}

/** Beats for a worker from the heartbeat thread, when its broker can be reached from one (else null). */
export function startLiveness(consumer: BrokerConsumer, interval: number, logger: Logger): LivenessThread | null {
  const target = consumer.livenessTarget?.();
  if (!target) return null;
  try {
    return new LivenessThread(target, interval, logger);
  } catch (err) {
    logger.warn(`no heartbeat thread (heartbeats come from the event loop only, which a synchronous task blocks): ${(err as Error).message}`);
    return null;
  }
}
