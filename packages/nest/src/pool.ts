// nestPoolChild: the bootstrap hook a pool thread or child process calls (core's `celeriacChild()`), for a Nest app:
// the module is booted there with NestFactory.createApplicationContext, so @Task() methods run bound to their
// provider instances with their injected dependencies, as on the worker's main pool.
import type { DynamicModule, INestApplicationContext, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigurationError, type Celeriac, type ChildApp, type Settings } from '@celeriac/core';
import { CELERIAC_APP } from './tokens';
import { markPoolMember } from './worker';

/** `NestFactory.createApplicationContext`'s options (`logger`, `abortOnError`, …). */
export type NestPoolChildOptions = NonNullable<Parameters<typeof NestFactory.createApplicationContext>[1]>;

/** What a pool member's ChildApp is for a Nest app; `context` is the Nest application context booted there. */
export interface NestChildApp extends ChildApp {
  readonly context: INestApplicationContext;
  /** The worker's broker and backend, for tasks that send others from the member. */
  configure(settings: Partial<Settings>): void;
}

/**
 * The hook for a worker with pool `threads` or `processes` on a Nest app: export it from the module the pool loads,
 * `export const celeriacChild = nestPoolChild(AppModule)`, and give that module's built JS file as the worker's
 * `module` option. Each thread/child boots `AppModule` (Nest's logs: errors and warnings only, unless `options`
 * say otherwise); the module's `worker` and `beat` options start nothing there. The member's leaving closes it.
 */
export function nestPoolChild(module: Type<unknown> | DynamicModule, options: NestPoolChildOptions = {}): () => Promise<NestChildApp> {
  return async () => {
    markPoolMember();
    // NOTE: abortOnError false: a module that fails to boot throws, and the worker reports its error, instead of
    // Nest ending the member with process.exit(1) and the worker seeing only an exit code.
    const context = await NestFactory.createApplicationContext(module, { logger: ['error', 'warn'], abortOnError: false, ...options });
    let app: Celeriac;
    try {
      app = context.get<Celeriac>(CELERIAC_APP, { strict: false });
    } catch (err) {
      await context.close().catch(() => undefined);
      throw new ConfigurationError(`nestPoolChild: the module has no CeleriacModule (import CeleriacModule.forRoot(…) in it): ${err instanceof Error ? err.message : String(err)}`);
    }
    return {
      context,
      get registry() {
        return app.registry;
      },
      get settings() {
        return app.settings;
      },
      configure: (settings) => app.configure(settings),
      close: () => context.close(),
    };
  };
}
