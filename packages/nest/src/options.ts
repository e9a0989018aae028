// CeleriacModule's options, its ConfigurableModuleBuilder, and the app built from them.
import { ConfigurableModuleBuilder, Logger, type DynamicModule } from '@nestjs/common';
import { ConfigurationError, DEFAULT_SETTINGS, createApp, type AppConfig, type BeatOptions, type Celeriac, type WorkerOptions } from '@celeriac/core';

export interface StatusRoutesOptions {
  /** Where the routes live: `GET /<path>/:id` (JSON) and `GET /<path>/:id/events` (SSE). @default 'tasks' */
  path?: string;
  /**
   * Whether this request may see the task's result and error (tasks with `public: true` always may); called with
   * the framework's request (Express' `Request`, Fastify's `FastifyRequest`). @default only public tasks reveal
   */
  authorize?(req: object, taskId: string): boolean | Promise<boolean>;
  /** Milliseconds between `: ping` comments on an idle stream. @default 15 000 */
  heartbeat?: number;
}

/** `createApp`'s config, plus the app's `name`, an environment `namespace` and this process' `worker` role. */
export interface CeleriacModuleOptions extends AppConfig {
  /** The app's name (Celery's main). @default 'celeriac' */
  name?: string;
  /**
   * Reads `<NAMESPACE>_<SETTING>` (e.g. `CELERIAC_BROKER_URL`) from the environment and, when `@nestjs/config` is
   * loaded, from its `ConfigService`; these values win over the options. Unknown or malformed keys fail module init.
   */
  namespace?: string;
  /**
   * `false` (the default): this process sends tasks but never consumes (an API). `true` or worker options: a worker
   * starts at application bootstrap. `CeleriacWorker.start()` starts one in any case.
   */
  worker?: boolean | WorkerOptions;
  /**
   * `true` or beat options: a beat starts at application bootstrap and sends the app's periodic tasks (`@Periodic()`,
   * `@Task({ schedule })`, `beatSchedule`) when due, as `celeriac beat` does. Every replica may run one: each due
   * run is sent once. `CeleriacWorker.startBeat()` starts one in any case. @default false
   */
  beat?: boolean | BeatOptions;
}

export interface CeleriacModuleExtras {
  /** Registered as a global module. @default true */
  isGlobal?: boolean;
  /** Serves the task-status routes (`CeleriacController`). @default off */
  statusRoutes?: StatusRoutesOptions | false;
}

export const STATUS_ROUTES = Symbol.for('celeriac:nest:status-routes');

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } = new ConfigurableModuleBuilder<CeleriacModuleOptions>({
  moduleName: 'Celeriac',
})
  .setClassMethodName('forRoot')
  .setExtras<CeleriacModuleExtras>({ isGlobal: true, statusRoutes: false }, (def: DynamicModule, extras) => ({
    ...def,
    global: extras.isGlobal !== false,
    providers: [...(def.providers ?? []), { provide: STATUS_ROUTES, useValue: extras.statusRoutes || null }],
  }))
  .build();

/** What a ConfigService offers that the namespace needs (`@nestjs/config`'s, or anything with `get`). */
export interface ConfigReader {
  get(key: string): unknown;
}

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

/** Builds the module's app; a bad setting throws a ConfigurationError naming it, which fails module init. */
export function buildApp(options: CeleriacModuleOptions, config?: ConfigReader | null): Celeriac {
  if (options === null || typeof options !== 'object') throw new ConfigurationError('CeleriacModule options must be an object');
  const { name = 'celeriac', namespace, worker, beat, logger = new Logger('Celeriac'), ...appConfig } = options;
  if (worker !== undefined && typeof worker !== 'boolean' && (worker === null || typeof worker !== 'object')) {
    throw new ConfigurationError(`CeleriacModule option \`worker\` must be a boolean or worker options, got ${JSON.stringify(worker)}`);
  }
  if (beat !== undefined && typeof beat !== 'boolean' && (beat === null || typeof beat !== 'object')) {
    throw new ConfigurationError(`CeleriacModule option \`beat\` must be a boolean or beat options, got ${JSON.stringify(beat)}`);
  }
  const app = createApp(name, { ...appConfig, logger });
  if (namespace !== undefined) {
    if (typeof namespace !== 'string' || !namespace) throw new ConfigurationError('CeleriacModule option `namespace` must be a non-empty string');
    const env: NodeJS.ProcessEnv = { ...process.env };
    const prefix = namespace.endsWith('_') ? namespace : `${namespace}_`;
    // NOTE: ConfigService cannot list its keys: ask it for each setting's name (values it holds beyond process.env,
    // e.g. from `load` factories or an env file it did not copy into process.env).
    for (const key of Object.keys(DEFAULT_SETTINGS).map((k) => prefix + snake(k))) {
      const v = config?.get(key);
      if (v !== undefined && v !== null) env[key] = typeof v === 'object' ? JSON.stringify(v) : String(v);
    }
    app.configFromEnv(namespace, env);
  }
  return app;
}
