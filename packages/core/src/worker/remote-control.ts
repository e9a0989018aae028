// A worker's answers to Celery's remote control (the pidbox): `ping` and the `inspect` commands, replied as a
// Celery 5.2 worker replies, so `celery inspect …` and `celeriac inspect …` list celeriac workers beside Python ones.
import type { ControlCommand } from '../broker/broker';
import type { MonitorTransport } from '../broker/monitor';
import { toCeleryIso } from '../protocol/dates';
import type { TaskMessage } from '../protocol/message';
import type { Job } from './request';

/** What a worker shows of itself to remote control. */
export interface ControlHost {
  readonly hostname: string;
  readonly concurrency: number;
  readonly prefetchMultiplier: number;
  readonly startedAt: number;
  readonly processed: number;
  readonly totals: ReadonlyMap<string, number>;
  readonly brokerUrl: string;
  /** Jobs running now, waiting in the buffer, and held in memory for their eta. */
  jobs(): { active: Job[]; reserved: Job[]; scheduled: Job[] };
  registered(): string[];
  revokedIds(): string[];
  /** Turns task events on or off (`enable_events` / `disable_events`); false when the broker cannot carry them. */
  setTaskEvents(on: boolean): boolean;
}

/** A request as Celery's `Request.info()` describes it. */
function info(host: ControlHost, job: Job): Record<string, unknown> {
  const m: TaskMessage = job.msg;
  return {
    id: m.id,
    name: m.task,
    args: m.args,
    kwargs: m.kwargs,
    type: m.task,
    hostname: host.hostname,
    time_start: job.startedAt === undefined ? null : job.startedAt / 1000,
    acknowledged: false,
    delivery_info: { exchange: '', routing_key: m.queue, priority: m.priority, redelivered: m.redelivered },
    worker_pid: job.startedAt === undefined ? null : process.pid,
  };
}

function stats(host: ControlHost): Record<string, unknown> {
  const usage = process.resourceUsage();
  return {
    total: Object.fromEntries(host.totals),
    pid: process.pid,
    uptime: Math.round((Date.now() - host.startedAt) / 1000),
    pool: { 'max-concurrency': host.concurrency, processes: [process.pid], implementation: 'celeriac:event-loop' },
    prefetch_count: host.concurrency * host.prefetchMultiplier,
    broker: { url: host.brokerUrl },
    rusage: { utime: usage.userCPUTime / 1e6, stime: usage.systemCPUTime / 1e6, maxrss: usage.maxRSS },
    sw_ident: 'celeriac',
  };
}

/** The reply to a command, or undefined when none is owed (an unknown one nobody waits for, or `hello`). */
export function answer(host: ControlHost, cmd: ControlCommand): unknown {
  switch (cmd.method) {
    case 'ping':
      return { ok: 'pong' };
    case 'active':
      return host.jobs().active.map((j) => info(host, j));
    case 'reserved':
      return host.jobs().reserved.map((j) => info(host, j));
    case 'scheduled':
      return host.jobs().scheduled.map((j) => ({ eta: j.msg.eta === null ? null : toCeleryIso(j.msg.eta), priority: j.msg.priority, request: info(host, j) }));
    case 'registered':
      return host.registered();
    case 'revoked':
      return host.revokedIds();
    case 'stats':
      return stats(host);
    case 'revoke': {
      const raw = cmd.arguments.task_id;
      const ids = (Array.isArray(raw) ? raw : [raw]).filter((x): x is string => typeof x === 'string');
      return { ok: `tasks ${ids.join(', ')} flagged as revoked` };
    }
    case 'enable_events':
      return host.setTaskEvents(true) ? { ok: 'task events enabled' } : { error: 'this broker cannot carry task events' };
    case 'disable_events':
      host.setTaskEvents(false);
      return { ok: 'task events disabled' };
    case 'hello':
      // NOTE: mingle: a Python worker merges what each node replies into its own state; a celeriac worker has
      // nothing Python's mingle could use, so it stays silent (as a worker started with --without-mingle).
      return undefined;
    default:
      return { error: `No such command: ${cmd.method} (not supported by celeriac)` };
  }
}

/** Whether this worker is among the command's destinations (all workers when it names none). */
export function addressedTo(cmd: ControlCommand, hostname: string): boolean {
  return !cmd.destination || cmd.destination.length === 0 || cmd.destination.includes(hostname);
}

/** Answers a command that asks for a reply; errors go to `onError` (a reply is best effort, as in Celery). */
export function replyTo(host: ControlHost, transport: MonitorTransport, cmd: ControlCommand, onError: (err: unknown) => void): void {
  if (!cmd.replyTo || !cmd.ticket || !addressedTo(cmd, host.hostname)) return;
  let payload: unknown;
  try {
    payload = answer(host, cmd);
  } catch (err) {
    payload = { error: err instanceof Error ? err.message : String(err) };
  }
  if (payload === undefined) return;
  transport.reply(cmd.replyTo, cmd.ticket, host.hostname, payload).catch(onError);
}
