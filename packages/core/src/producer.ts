// The one way a message is made and sent: build (validate, route), encode (size check), publish. Used by
// `.delay()` / applyAsync / sendTask, eager mode, and a worker's follow-ups (links, chain steps, retries).
import { randomUUID } from 'node:crypto';
import type { Broker, OutgoingMessage } from './broker/broker';
import { Signature } from './canvas';
import { checkInt, expected, type Settings, type TaskRoute } from './config';
import { SerializationError } from './errors';
import { ORIGIN, encodeMessage, type SignatureDict, type TaskMessage } from './protocol/message';
import type { TaskRegistry } from './registry';
import { assertSerializable } from './serialize';
import type { ApplyOptions } from './task';
import type { Logger } from './utils/logger';
import { EventSender, monitorOf, sentEvent } from './worker/celery-events';

/** What a Producer reads from its app: settings, registered task options, and the broker (made on first use). */
export interface ProducerHost {
  readonly settings: Readonly<Settings>;
  readonly registry: TaskRegistry;
  readonly broker: Broker;
  /** Where a failed `task-sent` event is reported. */
  readonly logger?: Logger;
}

const toMs = (v: Date | number, name: string): number => {
  const t = v instanceof Date ? v.getTime() : v;
  if (typeof t !== 'number' || !Number.isFinite(t)) throw expected(name, 'a Date or a number of milliseconds', v);
  return t;
};

const links = (l: Signature | Signature[] | undefined): SignatureDict[] | null =>
  l === undefined ? null : (Array.isArray(l) ? l : [l]).map((s) => s.toDict());

export class Producer {
  #routes: [pattern: string, route: TaskRoute][] | null = null;
  #events: EventSender | null = null;

  constructor(readonly host: ProducerHost) {}

  /** Forgets the compiled `taskRoutes` (after the app's settings changed). */
  resetRoutes(): void {
    this.#routes = null;
  }

  /** Which queue and priority a call goes to: the call's own, then the task's, then `taskRoutes`, then the default. */
  route(name: string, options: ApplyOptions = {}): { queue: string; priority: number } {
    const taskOpts = this.host.registry.get(name)?.options ?? {};
    const route = options.queue === undefined && taskOpts.queue === undefined ? this.#matchRoute(name) : undefined;
    return {
      queue: options.queue ?? taskOpts.queue ?? route?.queue ?? this.host.settings.taskDefaultQueue,
      priority: options.priority ?? taskOpts.priority ?? route?.priority ?? 0,
    };
  }

  /** The first `taskRoutes` entry matching the name: exact, or a prefix ending in `*`. */
  #matchRoute(name: string): TaskRoute | undefined {
    this.#routes ??= Object.entries(this.host.settings.taskRoutes).map(([p, r]) => [p, typeof r === 'string' ? { queue: r } : r]);
    for (const [pattern, route] of this.#routes) {
      if (pattern === name || (pattern.endsWith('*') && name.startsWith(pattern.slice(0, -1)))) return route;
    }
    return undefined;
  }

  /** Builds the message of a call (validated, serialisable), without sending it. */
  build(name: string, args: unknown[], options: ApplyOptions = {}): TaskMessage {
    if (!Array.isArray(args)) throw expected('args', 'an array', args);
    const kwargs = options.kwargs ?? {};
    if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) throw expected('kwargs', 'an object', kwargs);
    validateApplyOptions(options);
    assertSerializable(name, args, kwargs);
    const now = Date.now();
    const { queue, priority } = this.route(name, options);
    const settings = this.host.settings;
    const taskOpts = this.host.registry.get(name)?.options ?? {};
    const id = options.taskId ?? randomUUID();
    const timeLimit = options.timeLimit ?? null;
    // NOTE: spelled out rather than spread over defaults: this runs for every send, and a fixed shape is faster.
    return {
      id,
      task: name,
      args,
      kwargs,
      queue,
      priority,
      eta: options.eta !== undefined ? toMs(options.eta, 'eta') : options.countdown !== undefined ? now + options.countdown : null,
      expires: options.expires === undefined ? null : options.expires instanceof Date ? options.expires.getTime() : now + options.expires,
      retries: 0,
      rootId: options.rootId ?? id,
      parentId: options.parentId ?? null,
      group: null,
      groupIndex: null,
      timeLimit: [timeLimit, options.softTimeLimit ?? null],
      ignoreResult: options.ignoreResult ?? taskOpts.ignoreResult ?? settings.taskIgnoreResult,
      origin: ORIGIN,
      lang: 'py',
      replyTo: '',
      deliveryTag: randomUUID(),
      redelivered: false,
      callbacks: links(options.link),
      errbacks: links(options.linkError),
      chain: null,
      chord: null,
    };
  }

  /** The message of a follow-up call (link, errback, chain step), with workflow ids from its parent. */
  followUp(parent: TaskMessage, sig: SignatureDict, args: unknown[]): TaskMessage {
    const s = Signature.fromDict(sig);
    return this.build(s.task, args, {
      kwargs: s.kwargs,
      ...(s.options.taskId ? { taskId: s.options.taskId } : {}),
      ...(s.options.queue ? { queue: s.options.queue } : {}),
      ...(s.options.priority !== undefined ? { priority: s.options.priority } : {}),
      ...(s.options.countdown !== undefined ? { countdown: s.options.countdown } : {}),
      ...(s.options.link ? { link: s.options.link } : {}),
      ...(s.options.linkError ? { linkError: s.options.linkError } : {}),
      parentId: parent.id,
      rootId: parent.rootId,
    });
  }

  /** The message that runs a task again after `countdown` ms (ctx.retry, autoretryFor). */
  retryOf(msg: TaskMessage, countdown: number): TaskMessage {
    return {
      ...msg,
      retries: msg.retries + 1,
      eta: Date.now() + countdown,
      parentId: msg.id,
      redelivered: false,
      deliveryTag: `${msg.id}:${msg.retries + 1}`,
    };
  }

  /** The queue entry of a message; refuses one over `taskMessageMaxSize` (SerializationError). */
  encode(msg: TaskMessage): string {
    const raw = encodeMessage(msg);
    const max = this.host.settings.taskMessageMaxSize;
    // NOTE: bytes, not UTF-16 characters (argsrepr may hold non-ASCII text); a character is at most 3 bytes,
    // so short messages skip the count.
    const bytes = raw.length * 3 <= max ? raw.length : Buffer.byteLength(raw);
    if (bytes > max) {
      throw new SerializationError(
        `Cannot send task "${msg.task}": the message is ${bytes} bytes, over taskMessageMaxSize (${max} bytes). Nothing was sent; pass a reference (a URL, a row id) instead of the data.`,
      );
    }
    return raw;
  }

  /**
   * Sends many built messages, in order, in batched writes (one round trip per 1,000 on Redis). All are encoded
   * first: if one cannot be, it rejects and nothing is sent.
   */
  publishMany(msgs: readonly TaskMessage[]): Promise<void> {
    let entries: OutgoingMessage[];
    try {
      entries = msgs.map((m) => ({ queue: m.queue, priority: m.priority, raw: this.encode(m) }));
    } catch (err) {
      return Promise.reject(err);
    }
    const broker = this.host.broker;
    if (!entries.length) return Promise.resolve();
    let events: EventSender | null;
    try {
      events = this.eventSender();
    } catch (err) {
      return Promise.reject(err);
    }
    const sent = broker.publishMany ? broker.publishMany(entries) : Promise.all(entries.map((e) => broker.publish(e.queue, e.priority, e.raw))).then(() => undefined);
    return events ? sent.then(() => msgs.forEach((m) => events.send('task-sent', sentEvent(m)))) : sent;
  }

  /** Encodes and sends a built message. A message that cannot be encoded rejects; nothing is sent. */
  publish(msg: TaskMessage): Promise<void> {
    try {
      const events = this.eventSender();
      const sent = this.host.broker.publish(msg.queue, msg.priority, this.encode(msg));
      return events ? sent.then(() => events.send('task-sent', sentEvent(msg))) : sent;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Where `task-sent` events go when taskSendSentEvent is on (null when off); throws, before anything is sent, when
   * the broker cannot carry events. Each event follows its message into the broker.
   */
  eventSender(): EventSender | null {
    if (!this.host.settings.taskSendSentEvent) return null;
    this.#events ??= new EventSender(monitorOf(this.host.broker, 'taskSendSentEvent'), ORIGIN, this.host.settings.eventHistoryMax, (err) =>
      this.host.logger?.warn(`task-sent event not sent: ${err instanceof Error ? err.message : String(err)}`),
    );
    return this.#events;
  }
}

export function checkPriority(p: unknown): void {
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > 9) throw expected('priority', 'an integer from 0 to 9', p);
}

export function validateApplyOptions(o: ApplyOptions): void {
  if (o.countdown !== undefined && (typeof o.countdown !== 'number' || !Number.isFinite(o.countdown) || o.countdown < 0)) {
    throw expected('countdown', 'a number of milliseconds >= 0', o.countdown);
  }
  if (o.priority !== undefined) checkPriority(o.priority);
  if (o.queue !== undefined && (typeof o.queue !== 'string' || !o.queue)) throw expected('queue', 'a non-empty string', o.queue);
  if (o.taskId !== undefined && (typeof o.taskId !== 'string' || !o.taskId)) throw expected('taskId', 'a non-empty string', o.taskId);
  if (o.expires !== undefined && !(o.expires instanceof Date) && (typeof o.expires !== 'number' || !Number.isFinite(o.expires))) {
    throw expected('expires', 'a Date or a number of milliseconds', o.expires);
  }
  if (o.timeLimit !== undefined) checkInt('timeLimit', o.timeLimit, 1);
  if (o.softTimeLimit !== undefined) checkInt('softTimeLimit', o.softTimeLimit, 1);
  if (o.dedupKey !== undefined && (typeof o.dedupKey !== 'string' || !o.dedupKey)) throw expected('dedupKey', 'a non-empty string', o.dedupKey);
  if (o.dedupTtl !== undefined) checkInt('dedupTtl', o.dedupTtl, 1);
}
