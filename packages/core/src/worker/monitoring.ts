// A worker's part in monitoring: `worker-online` / `worker-heartbeat` / `worker-offline` events (sent as Celery's
// workers send them, with or without -E, on brokers that carry events), task events when -E is on, and replies
// to remote control commands.
import type { Broker, ControlCommand } from '../broker/broker';
import type { MonitorTransport } from '../broker/monitor';
import { EventSender, TaskEvents, monitorOf, workerFields } from './celery-events';
import { replyTo, type ControlHost } from './remote-control';

export interface MonitoredWorker extends ControlHost {
  readonly heartbeatInterval: number;
  readonly running: number;
  reportError(err: unknown): void;
}

export class WorkerMonitoring {
  readonly transport: MonitorTransport | null;
  readonly sender: EventSender | null;
  #taskEvents: TaskEvents | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    readonly worker: MonitoredWorker,
    broker: Broker,
    sendTaskEvents: boolean,
    historyMax: number,
  ) {
    // NOTE: asked for task events on a broker that cannot carry them: a clear error now, not silence.
    this.transport = sendTaskEvents ? monitorOf(broker, 'workerSendTaskEvents') : (broker.monitor?.() ?? null);
    this.sender = this.transport ? new EventSender(this.transport, worker.hostname, historyMax, (e) => worker.reportError(e)) : null;
    if (sendTaskEvents && this.sender) this.#taskEvents = new TaskEvents(this.sender);
  }

  /** Task events, when on (-E, or `enable_events`). */
  get taskEvents(): TaskEvents | null {
    return this.#taskEvents;
  }

  setTaskEvents(on: boolean): boolean {
    if (!on) {
      this.#taskEvents = null;
      return true;
    }
    if (!this.sender) return false;
    this.#taskEvents ??= new TaskEvents(this.sender);
    return true;
  }

  #workerEvent(type: 'worker-online' | 'worker-heartbeat' | 'worker-offline'): void {
    const w = this.worker;
    this.sender?.send(type, workerFields(w.heartbeatInterval, w.running, w.processed));
  }

  start(): void {
    if (!this.sender) return;
    this.#workerEvent('worker-online');
    this.#timer = setInterval(() => this.#workerEvent('worker-heartbeat'), this.worker.heartbeatInterval);
  }

  onControl(cmd: ControlCommand): void {
    if (this.transport) replyTo(this.worker, this.transport, cmd, (e) => this.worker.reportError(e));
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    if (!this.sender) return;
    this.#workerEvent('worker-offline');
    await this.sender.flush();
  }
}
