export { createApp, Celeriac, type AppConfig } from './app';
export { AsyncResult, errorFromMeta, type GetOptions } from './result';
export type { Task, RemoteTask, TaskOptions, ApplyOptions, TaskContext, TaskFn, BoundTaskFn, ErrorClass, TaskDefinition } from './task';
export { Signature, signature, type SignatureOptions } from './canvas';
export { States, READY_STATES, isReady, type TaskState } from './states';
export {
  CeleriacError,
  ConfigurationError,
  SerializationError,
  NotRegisteredError,
  BrokerError,
  BackendError,
  TimeoutError,
  TaskError,
  TaskRevokedError,
  TimeLimitExceeded,
  Retry,
  MaxRetriesExceededError,
  UnrecoverableError,
  Reject,
} from './errors';
export { DEFAULT_SETTINGS, redactUrl, type Settings, type SettingsInput, type TaskRoute } from './config';
export { Worker, type WorkerOptions } from './worker/worker';
export type { WorkerEvents, TaskEventInfo } from './worker/events';
export type { Broker, BrokerConsumer, Delivery, WorkerInfo, DeadLetter, ControlCommand } from './broker/broker';
export type { ResultBackend } from './backend/backend';
export type { ResultMeta, ExceptionInfo } from './protocol/result-meta';
export type { TaskMessage, SignatureDict } from './protocol/message';
export { consoleLogger, type Logger, type LogLevel } from './utils/logger';
