// Celery's task and worker events, sent by celeriac: the fields Celery 5.2 puts in each event type, a Lamport
// clock, and batching (events of one turn of the event loop go out in one pipeline). Events are best effort, as
// in Celery: a failed send is reported, never retried, and never holds up a task.
import { loadavg, type as osType } from 'node:os';
import { HISTORY_CALL, HISTORY_CALL_MAX, type CeleryEvent, type MonitorTransport } from '../broker/monitor';
import { ConfigurationError } from '../errors';
import { toCeleryIso } from '../protocol/dates';
import type { TaskMessage } from '../protocol/message';
import { argsRepr, kwargsRepr, repr } from '../protocol/repr';
import type { Broker } from '../broker/broker';

export const SW_IDENT = 'celeriac';
// NOTE: kept by hand in step with packages/core/package.json (read at run time it would tie dist/ to the layout).
export const SW_VER = '0.1.0';

/** Celery's utcoffset(): hours west of UTC (read again at most once a minute: it changes with daylight saving). */
let offset = { value: 0, until: 0 };
function utcoffset(): number {
  const now = Date.now();
  if (now >= offset.until) offset = { value: Math.floor(new Date(now).getTimezoneOffset() / 60), until: now + 60_000 };
  return offset.value;
}

/** The broker's monitoring transport, or a clear error naming the setting and the broker that cannot carry it. */
export function monitorOf(broker: Broker, setting: string): MonitorTransport {
  const m = broker.monitor?.();
  if (!m) {
    throw new ConfigurationError(
      `\`${setting}\` needs a broker that carries Celery's events and remote control (redis://, rediss://, sentinel://); ${broker.url} does not support them yet`,
    );
  }
  return m;
}

export class EventSender {
  #clock = 0;
  #batch: CeleryEvent[] = [];
  #sending: Promise<void> | null = null;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(
    readonly transport: MonitorTransport,
    readonly hostname: string,
    readonly historyMax: number,
    readonly onError: (err: unknown) => void,
  ) {}

  send(type: string, fields: Record<string, unknown>): void {
    const event: CeleryEvent = { hostname: this.hostname, utcoffset: utcoffset(), pid: process.pid, clock: ++this.#clock, ...fields, timestamp: Date.now() / 1000, type };
    this.#batch.push(event);
    if (this.#sending) return;
    const p = new Promise<void>((r) => setImmediate(r)).then(() => {
      const batch = this.#batch;
      this.#batch = [];
      this.#sending = null;
      return this.transport.publishEvents(batch, this.historyMax);
    }).catch((err: unknown) => this.onError(err));
    this.#sending = p;
    this.#inFlight.add(p);
    void p.finally(() => this.#inFlight.delete(p));
  }

  /** Resolves when every event sent so far has been written (or failed). */
  async flush(): Promise<void> {
    while (this.#inFlight.size) await Promise.all([...this.#inFlight]);
  }
}

function exceptionRepr(err: unknown): string {
  if (err instanceof Error) return `${err.name}(${repr(err.message)})`;
  return repr(err);
}

const traceback = (err: unknown): string => (err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err));

/** A worker's task events (`-E`), in Celery's fields. */
export class TaskEvents {
  constructor(readonly sender: EventSender) {}

  received(msg: TaskMessage): void {
    this.sender.send('task-received', {
      uuid: msg.id,
      name: msg.task,
      args: argsOf(msg),
      kwargs: kwargsOf(msg),
      root_id: msg.rootId,
      parent_id: msg.parentId,
      retries: msg.retries,
      eta: msg.eta === null ? null : toCeleryIso(msg.eta),
      expires: msg.expires === null ? null : toCeleryIso(msg.expires),
      queue: msg.queue,
      ...historyCall(msg),
    });
  }

  started(msg: TaskMessage): void {
    this.sender.send('task-started', { uuid: msg.id });
  }

  succeeded(msg: TaskMessage, result: unknown, runtimeMs: number): void {
    this.sender.send('task-succeeded', { uuid: msg.id, result: repr(result), runtime: runtimeMs / 1000 });
  }

  failed(msg: TaskMessage, error: unknown): void {
    this.sender.send('task-failed', { uuid: msg.id, exception: exceptionRepr(error), traceback: traceback(error) });
  }

  retried(msg: TaskMessage, exc: unknown): void {
    this.sender.send('task-retried', { uuid: msg.id, exception: exceptionRepr(exc), traceback: exc === undefined || exc === null ? '' : traceback(exc) });
  }

  revoked(msg: TaskMessage, reason: string): void {
    this.sender.send('task-revoked', { uuid: msg.id, terminated: reason === 'terminated', signum: reason === 'terminated' ? 'SIGTERM' : null, expired: reason === 'expired' });
  }
}

/** A producer's `task-sent` event (`taskSendSentEvent`), as Celery's amqp.send_task_message sends it. */
export function sentEvent(msg: TaskMessage): Record<string, unknown> {
  return {
    uuid: msg.id,
    root_id: msg.rootId,
    parent_id: msg.parentId,
    name: msg.task,
    args: argsOf(msg),
    kwargs: kwargsOf(msg),
    retries: msg.retries,
    eta: msg.eta === null ? null : toCeleryIso(msg.eta),
    expires: msg.expires === null ? null : toCeleryIso(msg.expires),
    queue: msg.queue,
    exchange: '',
    routing_key: msg.queue,
  };
}

/** What a worker says about itself in `worker-online` / `worker-heartbeat` / `worker-offline`. */
export function workerFields(freqMs: number, active: number, processed: number): Record<string, unknown> {
  return {
    freq: freqMs / 1000,
    active,
    processed,
    loadavg: loadavg().map((n) => Math.round(n * 100) / 100),
    sw_ident: SW_IDENT,
    sw_ver: SW_VER,
    sw_sys: osType(),
  };
}

const argsOf = (msg: TaskMessage): string => argsRepr(msg.args);
const kwargsOf = (msg: TaskMessage): string => kwargsRepr(msg.kwargs);

/** The exact call, for the history only (see HISTORY_CALL); nothing when it is large. */
function historyCall(msg: TaskMessage): Record<string, unknown> {
  const call = { args: msg.args, kwargs: msg.kwargs };
  try {
    return JSON.stringify(call).length <= HISTORY_CALL_MAX ? { [HISTORY_CALL]: call } : {};
  } catch {
    return {};
  }
}
