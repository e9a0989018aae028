// CeleriacWorker: starts workers and beats in this process (with full DI), stops them before the app's connections
// close. In a pool thread or child (nestPoolChild) it starts none: the worker that owns the pool runs there already.
import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { ConfigurationError, type Beat, type BeatOptions, type Celeriac, type Worker, type WorkerOptions } from '@celeriac/core';
import { CeleriacExplorer } from './explorer';
import { MODULE_OPTIONS_TOKEN, type CeleriacModuleOptions } from './options';
import { CELERIAC_APP } from './tokens';

let poolMember = false;

/** Set in a pool thread or child before its Nest app boots: the module's `worker` and `beat` options start nothing there. */
export function markPoolMember(): void {
  poolMember = true;
}

@Injectable()
export class CeleriacWorker implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  readonly #workers = new Set<Worker>();
  readonly #beats = new Set<Beat>();

  constructor(
    @Inject(CELERIAC_APP) readonly app: Celeriac,
    private readonly explorer: CeleriacExplorer,
    @Optional() @Inject(MODULE_OPTIONS_TOKEN) private readonly options: CeleriacModuleOptions = {},
  ) {}

  /**
   * Starts a worker of the module's app, whatever the module's `worker` option; resolves once it fetches.
   * The process' `@OnTaskEvent()` methods hear its events; `app.close()` (or a signal with `enableShutdownHooks()`)
   * stops it warm, before the connections it uses are closed.
   */
  async start(options: WorkerOptions = {}): Promise<Worker> {
    const pool = options.pool ?? this.app.settings.workerPool;
    if (pool !== 'main' && options.module === undefined) {
      throw new ConfigurationError(
        `CeleriacWorker: pool '${pool}' needs the module its ${pool === 'threads' ? 'threads' : 'child processes'} load: a built JS file that ` +
          'exports `celeriacChild = nestPoolChild(AppModule)` (e.g. your worker entry, with `module: __filename`)',
      );
    }
    const worker = this.app.worker(options);
    for (const l of this.explorer.listeners) {
      worker.on(l.event, (...args: unknown[]) => {
        // NOTE: a listener's failure is logged, never the worker's: the task's outcome is already stored.
        Promise.resolve()
          .then(() => l.call(...args))
          .catch((err: unknown) => this.app.logger.error(`@OnTaskEvent('${l.event}') ${l.where} threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
      });
    }
    this.#workers.add(worker);
    worker.once('closed', () => this.#workers.delete(worker));
    this.app.logger.info(worker.banner());
    for (const { task, queue } of worker.unconsumedRoutes()) this.app.logger.warn(`Task ${task} is routed to queue "${queue}", which this worker does not consume`);
    try {
      await worker.start();
    } catch (err) {
      this.#workers.delete(worker);
      await worker.close({ timeout: 0 }).catch(() => undefined);
      throw err;
    }
    return worker;
  }

  /** The workers started here and still running. */
  get workers(): readonly Worker[] {
    return [...this.#workers];
  }

  /**
   * Starts a beat of the module's app, whatever the module's `beat` option: it sends the periodic tasks (`@Periodic()`,
   * `@Task({ schedule })`, `beatSchedule`) when due. Any number may run, in any replicas: each due run is sent once.
   */
  async startBeat(options: BeatOptions = {}): Promise<Beat> {
    const beat = this.app.beat(options);
    this.#beats.add(beat);
    try {
      await beat.start();
    } catch (err) {
      this.#beats.delete(beat);
      await beat.close().catch(() => undefined);
      throw err;
    }
    return beat;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (poolMember) return;
    const { worker, beat } = this.options;
    if (worker) await this.start(worker === true ? {} : worker);
    if (beat) await this.startBeat(beat === true ? {} : beat);
  }

  /**
   * Stops this process' beats, then a warm shutdown of its workers: in-flight tasks finish (and may still send tasks), prefetched ones go
   * back to their queues. Nest calls it at `onModuleDestroy`; call it first from a provider whose own
   * `onModuleDestroy` closes something tasks use.
   */
  async close(): Promise<void> {
    await Promise.all([...this.#beats].map((b) => b.close()));
    this.#beats.clear();
    await Promise.all([...this.#workers].map((w) => w.close()));
  }

  onModuleDestroy(): Promise<void> {
    return this.close();
  }

  /** Then the app's broker and backend connections. */
  async onApplicationShutdown(): Promise<void> {
    await this.app.close();
    this.explorer.detach();
  }
}
