// Keeps a worker's heartbeat going while its event loop is blocked (a synchronous task on the main pool): a
// worker_thread with its own event loop and its own Redis connection marks the worker alive every heartbeat
// interval, so workers in other processes never take a busy worker for dead and run its tasks a second time.
// Only a process that is gone stops beating.
import { Worker as Thread } from 'node:worker_threads';
import type { LivenessTarget } from '../broker/broker';
import type { Logger } from '../utils/logger';

// NOTE: the thread's code is plain JavaScript in a string (not a file next to this one), so it runs the same from
// dist/ and from src/ under a TypeScript loader. It only beats: recovery and deferred messages stay on the main loop.
const THREAD_CODE = `
const { workerData, parentPort } = require('node:worker_threads');
const { target, interval } = workerData;
const Redis = require(workerData.ioredis);
const options = { ...target.options, connectionName: 'celeriac-liveness', maxRetriesPerRequest: null,
  retryStrategy: (n) => Math.min(50 * n, 1000), enableOfflineQueue: false };
const client = options.sentinels ? new Redis(options) : new Redis(target.url, options);
client.on('error', () => undefined);
client.defineCommand('celeriacAlive', { numberOfKeys: 2, lua: target.lua });
const beat = () => client.celeriacAlive(target.workers, target.info, target.member, target.ttl);
let inFlight = false;
const timer = setInterval(() => {
  if (inFlight) return;
  inFlight = true;
  beat().catch(() => undefined).finally(() => { inFlight = false; });
}, interval);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  const done = () => { parentPort.postMessage('stopped'); parentPort.close(); };
  client.quit().catch(() => client.disconnect()).finally(done);
});
`;

export class LivenessThread {
  readonly #thread: Thread;
  #stopped: Promise<void> | null = null;

  constructor(target: LivenessTarget, interval: number, logger: Logger) {
    this.#thread = new Thread(THREAD_CODE, {
      eval: true,
      workerData: { target, interval, ioredis: require.resolve('ioredis') },
      // NOTE: a few MB at most: the thread holds one connection and a timer.
      resourceLimits: { maxOldGenerationSizeMb: 32 },
    });
    this.#thread.on('error', (err) => logger.error(`the heartbeat thread failed (heartbeats now come from the main event loop only): ${err.message}`));
    this.#thread.unref();
  }

  /** Stops beating and closes the thread's connection (bounded: the thread is terminated after 2 s). */
  stop(): Promise<void> {
    if (this.#stopped) return this.#stopped;
    const thread = this.#thread;
    this.#stopped = new Promise<void>((resolve) => {
      const bound = setTimeout(() => void thread.terminate().finally(resolve), 2_000);
      thread.once('exit', () => {
        clearTimeout(bound);
        resolve();
      });
      thread.once('message', () => void thread.terminate());
      thread.postMessage('stop');
    });
    return this.#stopped;
  }
}
