// At module init: finds every provider's @Task() and @OnTaskEvent() methods, registers the tasks on the module's app
// bound to their instance, and gives each instance its own callable per task (so `.delay` reaches this module's app).
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { ConfigurationError, type Celeriac, type TaskContext } from '@celeriac/core';
import { taskContexts } from './context';
import type { TaskDecoratorOptions, TaskEventName } from './decorators';
import { CELERIAC_APP, TASK_EVENT_METADATA, TASK_METADATA } from './tokens';

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
      const methods = this.scanner.getAllMethodNames(target).filter((m) => this.#meta(target, m, TASK_METADATA) !== undefined);
      const events = this.scanner.getAllMethodNames(target).filter((m) => this.#meta(target, m, TASK_EVENT_METADATA) !== undefined);
      if (!methods.length && !events.length) continue;
      const cls = (target as { constructor?: { name?: string } }).constructor?.name || String(wrapper.name);
      if (wrapper.isTransient || !wrapper.isDependencyTreeStatic()) {
        const [m] = [...methods, ...events];
        throw new ConfigurationError(
          `${cls}.${m} uses @${methods.length ? 'Task' : 'OnTaskEvent'}(), but ${cls} is ${wrapper.isTransient ? 'transient' : 'request-scoped (or depends on a request-scoped provider)'}; ` +
            'tasks and task events need a singleton provider (Scope.DEFAULT): a worker has no request to build one for',
        );
      }
      if (!instance || typeof instance !== 'object' || seen.has(instance)) continue;
      seen.add(instance);
      for (const m of methods) this.#register(instance as Record<string, unknown>, cls, m, this.#meta(target, m, TASK_METADATA) as TaskDecoratorOptions, owners);
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

  #register(instance: Record<string, unknown>, cls: string, method: string, options: TaskDecoratorOptions, owners: Map<string, string>): void {
    const { name = `${cls}.${method}`, ...taskOptions } = options;
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
  }

  /** Gives the instances their prototype's methods back (the app is closed). */
  detach(): void {
    for (const [instance, method] of this.#patched.splice(0)) delete (instance as Record<string, unknown>)[method];
  }
}
