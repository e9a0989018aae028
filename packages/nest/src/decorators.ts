// @Task() and @OnTaskEvent(): metadata only; the explorer reads it at module init.
import { SetMetadata } from '@nestjs/common';
import type { TaskOptions, WorkerEvents } from '@celeriac/core';
import { TASK_EVENT_METADATA, TASK_METADATA } from './tokens';

export interface TaskDecoratorOptions extends TaskOptions {
  /** The task name on the wire. @default `ClassName.methodName` */
  name?: string;
}

/**
 * Makes a provider method a task: registered at module init under its name, bound to the provider instance (so a
 * worker runs it with the provider's injected dependencies), and given `.delay()` / `.applyAsync()` on that instance.
 */
export function Task(options: TaskDecoratorOptions = {}): MethodDecorator {
  return SetMetadata(TASK_METADATA, options);
}

/** A worker event a provider method hears: `@OnTaskEvent('failed') onFailed(info) {}`. */
export type TaskEventName = keyof WorkerEvents;

/** Calls the method on every event of that kind of the workers `CeleriacWorker` starts in this process. */
export function OnTaskEvent(event: TaskEventName): MethodDecorator {
  return SetMetadata(TASK_EVENT_METADATA, event);
}
