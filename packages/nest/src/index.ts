// @celeriac/nest: CeleriacModule, @Task() methods with a typed .delay(), workers with DI, status routes.
import 'reflect-metadata';
import './delay';

export { CeleriacModule, type CeleriacTestOptions } from './module';
export { Task, OnTaskEvent, type TaskDecoratorOptions, type TaskEventName } from './decorators';
export { currentTask } from './context';
export { CELERIAC_APP, InjectCeleriac } from './tokens';
export { CeleriacWorker } from './worker';
export { CeleriacController } from './controller';
export { CeleriacExceptionFilter, CELERIAC_ERROR_REPLY } from './filter';
export { MODULE_OPTIONS_TOKEN as CELERIAC_MODULE_OPTIONS, type CeleriacModuleOptions, type CeleriacModuleExtras, type StatusRoutesOptions, type ConfigReader } from './options';
