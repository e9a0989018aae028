// The pool a worker's options and settings ask for.
import { checkInt, checkPool, expected, type PoolKind, type Settings } from '../../config';
import { ConfigurationError } from '../../errors';
import type { Logger } from '../../utils/logger';
import { ChildPool } from './children';
import { MainPool } from './main';
import type { TaskPool } from './pool';

/** @publicApi */
export interface PoolOptions {
  /** Where tasks run: `main`, `threads` or `processes`. @default workerPool ('main') */
  pool?: PoolKind;
  /**
   * The module each pool thread/child loads to find the tasks (the CLI passes its `-A` module): an absolute path,
   * or relative to the current directory. It exports the app (`app` or default, as for `-A`), or a function
   * `celeriacChild()` that returns (a promise of) it — the hook for apps that need a bootstrap in the child.
   * Required with `threads` and `processes`.
   */
  module?: string;
  /** @default workerMaxTasksPerChild (none) */
  maxTasksPerChild?: number | null;
  /** KiB @default workerMaxMemoryPerChild (none) */
  maxMemoryPerChild?: number | null;
}

export function createPool(options: PoolOptions, settings: Readonly<Settings>, size: number, logger: Logger): TaskPool {
  const kind = checkPool('pool', options.pool ?? settings.workerPool);
  if (kind === 'main') {
    for (const k of ['maxTasksPerChild', 'maxMemoryPerChild'] as const) {
      if (options[k] !== undefined && options[k] !== null) {
        throw new ConfigurationError(`Worker option ${k} applies to pool 'threads' or 'processes', not to the main pool (set pool too)`);
      }
    }
    return new MainPool(logger, settings.workerStallWarning);
  }
  if (options.module === undefined) {
    throw new ConfigurationError(
      `Worker pool '${kind}' needs the module its ${kind === 'threads' ? 'threads' : 'child processes'} load the tasks from: ` +
        `pass module: require.resolve('./tasks') (the CLI uses its -A module)`,
    );
  }
  if (typeof options.module !== 'string' || !options.module) throw expected('module', 'a module path', options.module);
  const nullable = (name: string, v: number | null | undefined, fallback: number | null) => (v === undefined ? fallback : v === null ? null : checkInt(name, v, 1));
  return new ChildPool({
    kind,
    spec: { module: options.module, cwd: process.cwd(), brokerUrl: settings.brokerUrl, resultBackend: settings.resultBackend },
    size,
    maxTasksPerChild: nullable('maxTasksPerChild', options.maxTasksPerChild, settings.workerMaxTasksPerChild),
    maxMemoryPerChild: nullable('maxMemoryPerChild', options.maxMemoryPerChild, settings.workerMaxMemoryPerChild),
    logger,
  });
}
