// CeleriacModule: forRoot / forRootAsync (ConfigurableModuleBuilder), forTest, the app provider and the explorer.
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { consoleLogger } from '@celeriac/core';
import { statusController } from './controller';
import { CeleriacExplorer } from './explorer';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN,
  OPTIONS_TYPE,
  buildApp,
  type CeleriacModuleOptions,
  type ConfigReader,
  type StatusRoutesOptions,
} from './options';
import { CELERIAC_APP } from './tokens';
import { CeleriacWorker } from './worker';

/** `@nestjs/config`'s ConfigService when that optional peer is installed: the namespace also reads it. */
const ConfigService: (abstract new (...args: never[]) => ConfigReader) | undefined = (() => {
  try {
    return (require('@nestjs/config') as { ConfigService?: abstract new (...args: never[]) => ConfigReader }).ConfigService;
  } catch {
    return undefined;
  }
})();

const appProvider: Provider = {
  provide: CELERIAC_APP,
  useFactory: (options: CeleriacModuleOptions, config?: ConfigReader) => buildApp(options, config),
  inject: [MODULE_OPTIONS_TOKEN, ...(ConfigService ? [{ token: ConfigService, optional: true }] : [])],
};

export type CeleriacTestOptions = Omit<CeleriacModuleOptions, 'broker' | 'backend' | 'brokerUrl' | 'resultBackend' | 'worker' | 'beat'> & {
  /** Run tasks inline at `.delay()` (Celery's task_always_eager); otherwise they wait for `drain(app)`. @default false */
  eager?: boolean;
  statusRoutes?: StatusRoutesOptions | false;
};

@Module({
  imports: [DiscoveryModule],
  providers: [appProvider, CeleriacExplorer, CeleriacWorker],
  exports: [CELERIAC_APP, CeleriacWorker],
})
export class CeleriacModule extends ConfigurableModuleClass {
  /** The app, its tasks and workers, from options: `forRoot({ broker: 'redis://…', namespace: 'CELERIAC' })`. */
  static override forRoot(options: typeof OPTIONS_TYPE): DynamicModule {
    return withRoutes(super.forRoot(options), options.statusRoutes);
  }

  /** Options from DI: `forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory })`. */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return withRoutes(super.forRootAsync(options), options.statusRoutes);
  }

  /**
   * For users' tests: an app on its own `memory://` broker and backend (nothing to start, nothing shared between
   * testing modules), silent, never consuming. Tasks run inline with `eager: true`, else on `drain(app)`.
   */
  static forTest(options: CeleriacTestOptions = {}): DynamicModule {
    const { eager = false, ...rest } = options;
    const url = `memory://${randomUUID()}`;
    return this.forRoot({ logger: consoleLogger('silent'), ...rest, broker: url, backend: url, taskAlwaysEager: eager, worker: false });
  }
}

function withRoutes(mod: DynamicModule, routes: StatusRoutesOptions | false | undefined): DynamicModule {
  return routes ? { ...mod, controllers: [...(mod.controllers ?? []), statusController(routes.path ?? 'tasks')] } : mod;
}
