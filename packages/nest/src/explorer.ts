// At module init: finds every provider's @Task(), @Periodic() and @OnTaskEvent() methods, registers the tasks on the
// module's app bound to their instance, gives each instance its own callable per task (so `.delay` reaches this
// module's app), and adds the periodic entries to the app's schedule (core's beat sends them; nothing is scheduled here).
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { ConfigurationError, type Celeriac, type TaskContext } from '@celeriac/core';
import { taskContexts } from './context';
import type { PeriodicMetadata, TaskDecoratorOptions, TaskEventName } from './decorators';
import { CELERIAC_APP, PERIODIC_METADATA, TASK_EVENT_METADATA, TASK_METADATA } from './tokens';

type Method = (...args: unknown[]) => unknown;

export interface TaskEventListener {
  event: TaskEventName;
  /** `ClassName.methodName`, for logs. */
  where: string;
  call: Method;
}

@Injectable()
export class CeleriacExplorer implements OnModuleInit {
  readonly listeners: TaskEventListener[] = [];
  /** Instances given a callable per task, to undo at shutdown. */
  readonly #patched: [instance: object, method: string][] = [];

  constructor(
    @Inject(CELERIAC_APP) private readonly app: Celeriac,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    const owners = new Map<string, string>();
    const seen = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      // NOTE: the instance's class first: a factory provider's metatype is its factory, not the class it returns.
      const target = ((instance && typeof instance === 'object' ? Object.getPrototypeOf(instance) : undefined) ??
        (typeof wrapper.metatype === 'function' ? wrapper.metatype.prototype : undefined)) as object | undefined;
      if (!target || target === Object.prototype) continue;
      const methods = this.scanner
        .getAllMethodNames(target)
        .filter((m) => this.#meta(target, m, TASK_METADATA) !== undefined || this.#meta(target, m, PERIODIC_METADATA) !== undefined);
      const events = this.scanner.getAllMethodNames(target).filter((m) => this.#meta(target, m, TASK_EVENT_METADATA) !== undefined);
      if (!methods.length && !events.length) continue;
      const cls = (target as { constructor?: { name?: string } }).constructor?.name || String(wrapper.name);
      if (wrapper.isTransient || !wrapper.isDependencyTreeStatic()) {
        const [m] = [...methods, ...events];
        const decorator = !methods.length ? 'OnTaskEvent' : this.#meta(target, m!, TASK_METADATA) !== undefined ? 'Task' : 'Periodic';
        throw new ConfigurationError(
          `${cls}.${m} uses @${decorator}(), but ${cls} is ${wrapper.isTransient ? 'transient' : 'request-scoped (or depends on a request-scoped provider)'}; ` +
            'tasks and task events need a singleton provider (Scope.DEFAULT): a worker has no request to build one for',
        );
      }
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      for (const m of methods) {
        const options = (this.#meta(target, m, TASK_METADATA) as TaskDecoratorOptions | undefined) ?? {};
        const periodic = (this.#meta(target, m, PERIODIC_METADATA) as PeriodicMetadata[] | undefined) ?? [];
        this.#register(instance as Record<string, unknown>, cls, m, options, periodic, owners);
      }
      for (const m of events) {
        const fn = (instance as Record<string, Method>)[m]!;
        this.listeners.push({ event: this.#meta(target, m, TASK_EVENT_METADATA) as TaskEventName, where: `${cls}.${m}`, call: fn.bind(instance) });
      }
    }
  }

  #meta(target: object, method: string, key: string): unknown {
    const fn = (target as Record<string, unknown>)[method];
    return typeof fn === 'function' ? Reflect.getMetadata(key, fn) : undefined;
  }

  #register(
    instance: Record<string, unknown>,
    cls: string,
    method: string,
    options: TaskDecoratorOptions,
    periodic: readonly PeriodicMetadata[],
    owners: Map<string, string>,
  ): void {
    const { name = `${cls}.${method}`, schedule, ...taskOptions } = options;
    const where = `${cls}.${method}`;
    const other = owners.get(name);
    if (other) throw new ConfigurationError(`Two @Task() methods are named "${name}": ${other} and ${where}; give one of them another \`name\``);
    owners.set(name, where);
    const original = instance[method] as Method;
    const run = (ctx: TaskContext, ...args: unknown[]) => taskContexts.run(ctx, () => original.apply(instance, args));
    const task = this.app.task(name, run, { ...taskOptions, bind: true });
    // NOTE: an own property of the instance: the prototype's method is shared by every instance (and every app).
    const own = Object.assign((...args: unknown[]) => original.apply(instance, args), {
      taskName: task.taskName,
      options: task.options,
      delay: task.delay,
      applyAsync: task.applyAsync,
      s: task.s,
      si: task.si,
    });
    Object.defineProperty(own, 'name', { value: method });
    Object.defineProperty(instance, method, { value: own, configurable: true, writable: true, enumerable: false });
    this.#patched.push([instance, method]);
    const entries = schedule === undefined ? periodic : [{ schedule }, ...periodic];
    for (const entry of entries) this.#schedule(name, where, entry);
  }

  /** Adds one entry to the app's schedule; core checks it, and its error (naming the entry) gets the method's name. */
  #schedule(task: string, where: string, entry: PeriodicMetadata): void {
    const { name = task, schedule, args, kwargs, options } = entry;
    if (typeof name !== 'string' || !name) throw new ConfigurationError(`${where}: a @Periodic() \`name\` must be a non-empty string, got ${JSON.stringify(name)}`);
    // NOTE: a bare duration is every()'s; left to core to check, so a bad one names the entry.
    const given = typeof schedule === 'string' || typeof schedule === 'number' ? { every: schedule } : schedule;
    try {
      this.app.addPeriodicTask(name, { task, schedule: given, args, kwargs, options });
    } catch (err) {
      if (!(err instanceof ConfigurationError)) throw err;
      const again = /already has an entry/.test(err.message) ? ' (two entries of one name: give each @Periodic() its own `name`)' : '';
      throw new ConfigurationError(`${where}, periodic entry "${name}": ${err.message}${again}`);
    }
  }

  /** Gives the instances their prototype's methods back (the app is closed). */
  detach(): void {
    for (const [instance, method] of this.#patched.splice(0)) delete (instance as Record<string, unknown>)[method];
  }
}
