export { createApp, Celeriac, type AppConfig, type SendManyCall } from './app';
export { Producer, type ProducerHost } from './producer';
export { AsyncResult, errorFromMeta, type GetOptions } from './result';
export type { Task, RemoteTask, TaskOptions, ApplyOptions, TaskContext, TaskFn, BoundTaskFn, ErrorClass, TaskDefinition } from './task';
export { Signature, signature, Chain, chain, type SignatureOptions, type CanvasHost } from './canvas';
export { Group, group, Chord, chord, type GroupApplyOptions, type ChordApplyOptions } from './group';
export { GroupResult } from './group-result';
export type { GroupBackend, ChordPart } from './backend/groups';
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
  ChordError,
  TimeLimitExceeded,
  SoftTimeLimitExceeded,
  WorkerLostError,
  Retry,
  MaxRetriesExceededError,
  UnrecoverableError,
  Reject,
} from './errors';
export { DEFAULT_SETTINGS, redactUrl, type PoolKind, type Settings, type SettingsInput, type TaskRoute, type TaskAnnotation, type TaskQueue } from './config';
export type { TransportOptions } from './redis/sentinel';
export { Worker, type WorkerOptions } from './worker/worker';
export { every, crontab, describeSchedule, nextDue, type Schedule, type IntervalSchedule, type CrontabSchedule, type CrontabFields, type ScheduleJson } from './beat/schedule';
export { Beat, type BeatOptions, type BeatEntryInfo } from './beat/beat';
export type { BeatEntry, PeriodicOptions } from './beat/entries';
export type { PoolOptions } from './worker/pool/create';
export type { ChildApp } from './worker/pool/wire';
export type { WorkerContext } from './worker/context';
export type { WorkerEvents, TaskEventInfo } from './worker/events';
export type { Broker, OutgoingMessage, BrokerConsumer, ConsumerOptions, Delivery, WorkerInfo, DeadLetter, ControlCommand, RevokedEntry, SlotRequest, DedupRequest, BeatStore, BeatClaim, BeatClaimResult } from './broker/broker';
export { describeDeadLetter, type DeadLetterView } from './broker/dead-letter';
export type { RateLimit } from './limits/rate';
export { notify as notifyResultListener, type ResultBackend } from './backend/backend';
export type { ResultMeta, ExceptionInfo } from './protocol/result-meta';
export type { TaskMessage, SignatureDict } from './protocol/message';
export { consoleLogger, fromNestLogger, type Logger, type LogLevel, type NestStyleLogger } from './utils/logger';
export { toStatus, type TaskStatus, type TaskStatusError, type Reveal } from './status/status';
export type { WatchOptions } from './status/watch';
export {
  createStatusHandler,
  isValidTaskId,
  TASK_ID_PATTERN,
  type StatusHandler,
  type StatusHandlerOptions,
  type StatusHost,
  type JsonReply,
  type StreamOptions,
} from './status/handler';
export { TaskRegistry } from './registry';
export { type TransportContext, type TransportModule } from './transports';
export { OPTIONAL_TRANSPORTS } from './transport-schemes';
export {
  acceptedBody,
  errorReply,
  statusPrefix,
  checkRetryAfter,
  type AcceptedBody,
  type ErrorReply,
  type ErrorReplyOptions,
} from './http/reply';
export { HISTORY_CALL, type CeleryEvent, type StoredEvent, type MonitorTransport, type ReplyTo, type ControlReply, type BroadcastOptions } from './broker/monitor';
export { EventHistory, type HistoryTasksOptions } from './monitor/history';
export { applyTaskEvent, foldTaskEvents, matchesTask, childrenOf, type TaskRecord, type TaskFilter, type EventState, type TimelineEntry } from './monitor/tasks';
