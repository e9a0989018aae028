// The typed `.delay()` of decorated methods. A decorator cannot change a method's type, so every callable type gets a
// `this`-typed `delay` / `applyAsync`: the arguments and result are inferred from the function it is called on. At
// runtime the explorer gives each provider instance its own callable per task (with the real `.delay`); on any other
// function the fallbacks below throw an error naming the function instead of "delay is not a function".
import { CeleriacError, type ApplyOptions, type AsyncResult } from '@celeriac/core';
import { TASK_METADATA } from './tokens';

declare global {
  interface CallableFunction {
    /** celeriac: sends this `@Task()` method to a worker (only on methods of providers set up by CeleriacModule). */
    delay<A extends unknown[], R>(this: (...args: A) => R, ...args: A): Promise<AsyncResult<Awaited<R>>>;
    /** celeriac: `.delay()` with call options (countdown, eta, expires, taskId, queue, priority, link, linkError). */
    applyAsync<A extends unknown[], R>(this: (...args: A) => R, args: A, options?: ApplyOptions): Promise<AsyncResult<Awaited<R>>>;
  }
}

function notATask(fn: unknown, what: string): never {
  const name = typeof fn === 'function' && fn.name ? fn.name : '(anonymous)';
  const decorated = typeof fn === 'function' && Reflect.getMetadata?.(TASK_METADATA, fn) !== undefined;
  throw new CeleriacError(
    decorated
      ? `${name}.${what}(): ${name} is a @Task() method, but not of a provider instance set up by CeleriacModule ` +
          `(an instance made with \`new\`, or used before module init): get it from Nest's container`
      : `${name}.${what}(): ${name} is not a task; decorate the method with @Task() (from @celeriac/nest) on a provider`,
  );
}

for (const what of ['delay', 'applyAsync'] as const) {
  if (!Object.prototype.hasOwnProperty.call(Function.prototype, what)) {
    Object.defineProperty(Function.prototype, what, {
      configurable: true,
      writable: true,
      enumerable: false,
      value: function (this: unknown) {
        notATask(this, what);
      },
    });
  }
}
