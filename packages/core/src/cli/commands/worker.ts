// `celeriac worker`: runs until SIGTERM/SIGINT (warm shutdown; a second signal makes it cold).
import { resolve } from 'node:path';
import { checkPool } from '../../config';
import { CeleriacError } from '../../errors';
import { consoleLogger } from '../../utils/logger';
import { logLevel, queueList, type Flags } from '../args';
import { appFor, memoryBackend } from '../connect';
import { startBeat } from './beat';

export async function worker(flags: Flags): Promise<void> {
  const level = logLevel(flags);
  const app = await appFor(flags, 'worker');
  const logger = consoleLogger(level, 'worker');
  const concurrency = flags.concurrency === undefined ? undefined : Number(flags.concurrency);
  const pool = flags.pool === undefined ? app.settings.workerPool : checkPool('-P', flags.pool);
  if (pool !== 'main' && !flags.app) throw new CeleriacError(`-P ${pool}: give the tasks' module with -A; each pool ${pool === 'threads' ? 'thread' : 'child'} loads it`);
  const perChild = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const maxTasksPerChild = perChild(flags['max-tasks-per-child']);
  const maxMemoryPerChild = perChild(flags['max-memory-per-child']);
  const w = app.worker({
    ...(flags.queues ? { queues: queueList(flags.queues) } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    pool,
    ...(pool !== 'main' ? { module: resolve(flags.app!) } : {}),
    ...(maxTasksPerChild !== undefined ? { maxTasksPerChild } : {}),
    ...(maxMemoryPerChild !== undefined ? { maxMemoryPerChild } : {}),
    ...(flags.hostname ? { hostname: flags.hostname } : {}),
    ...(flags['task-events'] ? { sendTaskEvents: true } : {}),
    logger,
  });
  let signals = 0;
  let stopBeat: (() => Promise<void>) | null = null;
  const stop = (sig: string) => {
    signals++;
    if (signals === 1) {
      logger.info(`${sig}: warm shutdown (finishing running tasks; send again for cold shutdown)`);
      // NOTE: the embedded beat (-B) stops first: nothing new is sent while the worker drains.
      (stopBeat ? stopBeat() : Promise.resolve())
        .then(() => w.close())
        .then(() => app.close())
        .then(() => process.exit(0))
        .catch((err) => {
          logger.error(String(err));
          process.exit(1);
        });
    } else {
      logger.info(`${sig}: cold shutdown (running tasks go back to their queues)`);
      void w.close({ timeout: 0 });
    }
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await w.start();
  logger.info(w.banner());
  if (flags.beat) stopBeat = await startBeat(app, logger);
  const inProcess = memoryBackend(app);
  if (inProcess) logger.warn(`results go to ${inProcess}, inside this process: nobody else can read them (set resultBackend, or leave it unset to use the broker)`);
  for (const { task, queue } of w.unconsumedRoutes()) {
    logger.warn(`task ${task} is routed to queue "${queue}", which this worker does not consume (-Q ${w.queues.join(',')}): its messages wait for a worker that does`);
  }
}
