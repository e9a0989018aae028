// @Task(), @Periodic() and @OnTaskEvent(): metadata only; the explorer reads it at module init.
import { SetMetadata } from '@nestjs/common';
import type { PeriodicOptions, Schedule, ScheduleJson, TaskOptions, WorkerEvents } from '@celeriac/core';
import { PERIODIC_METADATA, TASK_EVENT_METADATA, TASK_METADATA } from './tokens';

/**
 * When a periodic task runs: `every('30s')`, `crontab({ minute: '0', hour: '6' })` (from `@celeriac/core`), their
 * JSON forms (`{ every: '30s' }`, `{ crontab: { minute: '0' } }`), or a duration (`'30s'`, `30_000`) for `every()`.
 * Checked at module init: a bad one fails it, naming the entry.
 */
export type PeriodicSchedule = Schedule | ScheduleJson | string | number;

export interface TaskDecoratorOptions extends TaskOptions {
  /** The task name on the wire. @default `ClassName.methodName` */
  name?: string;
  /**
   * Also sends the task on this schedule, with no arguments (a beat entry named after the task). For arguments,
   * another entry name, or several entries, use `@Periodic()`.
   */
  schedule?: PeriodicSchedule;
}

export interface PeriodicDecoratorOptions {
  /** The beat entry's name. @default the task's name */
  name?: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  /** How each run is sent: `{ queue, priority, expires, timeLimit, ignoreResult }`. */
  options?: PeriodicOptions;
}

/** One @Periodic() (or `@Task({ schedule })`) of a method, as the explorer reads it. */
export interface PeriodicMetadata extends PeriodicDecoratorOptions {
  schedule: PeriodicSchedule;
}

/**
 * Makes a provider method a task: registered at module init under its name, bound to the provider instance (so a
 * worker runs it with the provider's injected dependencies), and given `.delay()` / `.applyAsync()` on that instance.
 */
export function Task(options: TaskDecoratorOptions = {}): MethodDecorator {
  return SetMetadata(TASK_METADATA, options);
}

/**
 * Sends the method's task periodically (Celery's beat): `@Periodic(crontab({ minute: '*\/10' }), { kwargs })`. At
 * module init the entry is added to the app's schedule (`app.addPeriodicTask`); a running beat (the module's `beat`
 * option, `CeleriacWorker.startBeat()`) sends each due run once, however many replicas run one. Stack it for
 * several entries. The method is a task even without `@Task()` (which gives its name and options).
 */
export function Periodic(schedule: PeriodicSchedule, options: PeriodicDecoratorOptions = {}): MethodDecorator {
  return (_target, _key, descriptor) => {
    const fn: unknown = descriptor.value;
    if (typeof fn !== 'function') throw new TypeError(`@Periodic() goes on a method; ${String(_key)} is not one`);
    const list = (Reflect.getMetadata(PERIODIC_METADATA, fn) as PeriodicMetadata[] | undefined) ?? [];
    // NOTE: decorators apply bottom-up: prepending keeps the entries in the order they are written.
    Reflect.defineMetadata(PERIODIC_METADATA, [{ ...options, schedule }, ...list], fn);
    return descriptor;
  };
}

/** A worker event a provider method hears: `@OnTaskEvent('failed') onFailed(info) {}`. */
export type TaskEventName = keyof WorkerEvents;

/** Calls the method on every event of that kind of the workers `CeleriacWorker` starts in this process. */
export function OnTaskEvent(event: TaskEventName): MethodDecorator {
  return SetMetadata(TASK_EVENT_METADATA, event);
}
