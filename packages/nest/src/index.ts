// @celeriac/nest: CeleriacModule, @Task() methods with a typed .delay(), @Periodic(), workers with DI (also in pool
// threads and children), status routes.
import 'reflect-metadata';
import './delay';

export { CeleriacModule, type CeleriacTestOptions } from './module';
export { Task, Periodic, OnTaskEvent, type TaskDecoratorOptions, type PeriodicDecoratorOptions, type PeriodicSchedule, type TaskEventName } from './decorators';
export { currentTask } from './context';
export { CELERIAC_APP, InjectCeleriac } from './tokens';
export { CeleriacWorker } from './worker';
export { nestPoolChild, type NestChildApp, type NestPoolChildOptions } from './pool';
export { CeleriacController } from './controller';
export { CeleriacExceptionFilter, CELERIAC_ERROR_REPLY } from './filter';
export { MODULE_OPTIONS_TOKEN as CELERIAC_MODULE_OPTIONS, type CeleriacModuleOptions, type CeleriacModuleExtras, type StatusRoutesOptions, type ConfigReader } from './options';
