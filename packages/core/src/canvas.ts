// Canvas: signatures (a task call to make later), chains, groups and chords, sent as Celery sends them
// (shared/celery-wire.md §5, §10), so that Python workers take part in either role.
import { randomUUID } from 'node:crypto';
import type { Settings } from './config';
import { expected } from './config';
import type { ResultBackend } from './backend/backend';
import { groupsOf } from './backend/groups';
import { GroupResult } from './group-result';
import type { Producer } from './producer';
import type { SignatureDict, TaskMessage } from './protocol/message';
import { AsyncResult, type ResultHost } from './result';
import type { ApplyOptions } from './task';
import { metas } from './worker/meta';
import { makeMeta } from './protocol/result-meta';
import { ChordError, ConfigurationError } from './errors';

/** Call options a signature carries with it (Celery's signature `options`). Durations in ms. */
export interface SignatureOptions {
  taskId?: string;
  queue?: string;
  priority?: number;
  countdown?: number;
  /** Called with this task's result when it succeeds. */
  link?: Signature[];
  /** Called with this task's id when it fails. */
  linkError?: Signature[];
}

/** What canvas needs from an app to send workflows (the app satisfies it). */
export interface CanvasHost extends ResultHost {
  readonly settings: Readonly<Settings>;
  readonly producer: Producer;
  readonly backend: ResultBackend;
  sendTask<R = unknown>(name: string, args?: unknown[], options?: ApplyOptions): Promise<AsyncResult<R>>;
}

const sigDicts = (list: Signature[] | undefined): SignatureDict[] | undefined => (list?.length ? list.map((s) => s.toDict()) : undefined);

function sigsFrom(v: unknown): Signature[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const out = v
    .filter((d): d is SignatureDict => typeof d === 'object' && d !== null && typeof (d as SignatureDict).task === 'string' && !!(d as SignatureDict).task)
    .map((d) => Signature.fromDict({ ...d, args: Array.isArray(d.args) ? d.args : [], kwargs: d.kwargs ?? {}, options: d.options ?? {} }));
  return out.length ? out : undefined;
}

/** A task call packaged to be sent later, as Celery's `signature()` / `task.s()`. */
export class Signature<R = unknown> {
  readonly #host: CanvasHost | null;

  constructor(
    readonly task: string,
    readonly args: unknown[] = [],
    readonly kwargs: Record<string, unknown> = {},
    readonly options: SignatureOptions = {},
    /** An immutable signature does not receive the parent's result. */
    readonly immutable = false,
    host: CanvasHost | null = null,
  ) {
    this.#host = host;
  }

  /** The app this signature sends through (set by `task.s()` and `app.signature()`), or null. */
  get app(): CanvasHost | null {
    return this.#host;
  }

  /** A copy with these options added (`{ taskId }`, `{ queue }`, `{ link }`…). */
  set(options: SignatureOptions): Signature<R> {
    return new Signature<R>(this.task, this.args, this.kwargs, { ...this.options, ...options }, this.immutable, this.#host);
  }

  /** A copy that calls `errback` (with this task's id) when it fails; on a chord's body, when the chord fails. */
  onError(errback: Signature): Signature<R> {
    return this.set({ linkError: [...(this.options.linkError ?? []), errback] });
  }

  /** A copy that calls `callback` with this task's result when it succeeds. */
  link(callback: Signature): Signature<R> {
    return this.set({ link: [...(this.options.link ?? []), callback] });
  }

  /** `a.s(2, 2).pipe(b.s(), c.s())`: a chain of this signature and the next ones (Celery's `|`). */
  pipe<N>(...next: [...(Signature | Chain)[], Signature<N> | Chain<N>]): Chain<N> {
    return chain<N>(this, ...next);
  }

  /** Sends it: `args` go before the signature's own (unless immutable), `options` over its own. */
  applyAsync(args: unknown[] = [], options: ApplyOptions = {}): Promise<AsyncResult<R>> {
    const host = hostOf('signature.applyAsync()', [this]);
    return host.sendTask<R>(this.task, this.immutable ? this.args : [...args, ...this.args], { ...this.applyOptions(), ...options });
  }

  delay(...args: unknown[]): Promise<AsyncResult<R>> {
    return this.applyAsync(args);
  }

  /** The signature's options as `applyAsync` options. */
  applyOptions(): ApplyOptions {
    const o = this.options;
    const out: ApplyOptions = {};
    if (Object.keys(this.kwargs).length) out.kwargs = this.kwargs;
    if (o.taskId) out.taskId = o.taskId;
    if (o.queue) out.queue = o.queue;
    if (o.priority !== undefined) out.priority = o.priority;
    if (o.countdown !== undefined) out.countdown = o.countdown;
    if (o.link?.length) out.link = o.link;
    if (o.linkError?.length) out.linkError = o.linkError;
    return out;
  }

  toDict(): SignatureDict {
    const options: Record<string, unknown> = {};
    if (this.options.taskId) options.task_id = this.options.taskId;
    if (this.options.queue) options.queue = this.options.queue;
    if (this.options.priority !== undefined) options.priority = this.options.priority;
    if (this.options.countdown !== undefined) options.countdown = this.options.countdown / 1000;
    const link = sigDicts(this.options.link);
    const linkError = sigDicts(this.options.linkError);
    if (link) options.link = link;
    if (linkError) options.link_error = linkError;
    return { task: this.task, args: this.args, kwargs: this.kwargs, options, subtask_type: null, immutable: this.immutable };
  }

  static fromDict(d: SignatureDict): Signature {
    const o = d.options ?? {};
    const options: SignatureOptions = {};
    // NOTE: read as a Celery worker reads them from Python: an out-of-range priority is clamped to 0–9 (kombu's Redis
    // transport does the same), and a value of the wrong type or a negative countdown is ignored, rather than
    // failing the parent task after it ran.
    if (typeof o.task_id === 'string' && o.task_id) options.taskId = o.task_id;
    if (typeof o.queue === 'string' && o.queue) options.queue = o.queue;
    if (typeof o.priority === 'number' && Number.isFinite(o.priority)) options.priority = Math.max(0, Math.min(9, Math.trunc(o.priority)));
    if (typeof o.countdown === 'number' && Number.isFinite(o.countdown) && o.countdown >= 0) options.countdown = o.countdown * 1000;
    const link = sigsFrom(o.link);
    const linkError = sigsFrom(o.link_error);
    if (link) options.link = link;
    if (linkError) options.linkError = linkError;
    return new Signature(d.task, Array.isArray(d.args) ? d.args : [], d.kwargs ?? {}, options, d.immutable === true);
  }
}

/** `signature('proj.add', [2, 3])`: a call to a task by name, possibly defined in another codebase. */
export function signature(task: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}, options: SignatureOptions = {}): Signature {
  return new Signature(task, args, kwargs, options);
}

/** The app of the first signature bound to one; a clear error when none is. */
function hostOf(what: string, sigs: Iterable<Signature>, given?: CanvasHost | null): CanvasHost {
  if (given) return given;
  for (const s of sigs) if (s.app) return s.app;
  throw new ConfigurationError(
    `${what}: no signature in it is bound to an app; make them with task.s() / task.si() or app.signature(), not the bare signature()`,
  );
}

function checkSignatures(what: string, list: unknown[]): Signature[] {
  list.forEach((s, i) => {
    if (!(s instanceof Signature)) throw expected(`${what}[${i}]`, 'a Signature (task.s(...), task.si(...) or app.signature(...))', s);
  });
  return list as Signature[];
}

/** Steps of a chain, with nested chains flattened. */
function flatten(steps: (Signature | Chain)[]): Signature[] {
  const out: Signature[] = [];
  steps.forEach((s, i) => {
    if (s instanceof Chain) out.push(...s.tasks);
    else if (s instanceof Signature) out.push(s);
    else throw expected(`chain step ${i}`, 'a Signature (task.s(...), task.si(...) or app.signature(...)) or a chain', s);
  });
  return out;
}

/** Tasks run one after the other, each receiving the previous one's result (Celery's `chain`, `a | b | c`). */
export class Chain<R = unknown> {
  readonly tasks: readonly Signature[];

  constructor(tasks: (Signature | Chain)[]) {
    this.tasks = flatten(tasks);
    if (!this.tasks.length) throw expected('chain', 'at least one signature', tasks);
  }

  pipe<N>(...next: [...(Signature | Chain)[], Signature<N> | Chain<N>]): Chain<N> {
    return new Chain<N>([this, ...next]);
  }

  /**
   * Sends the first task with the rest in its `embed.chain` (as Celery does); every worker that finishes a step
   * sends the next. `args` go before the first task's own. Resolves the last step's result handle; `.parent` leads
   * back step by step to the first. Options: `countdown` / `eta` / `expires` / `queue` / `priority` apply to the
   * first task, `taskId` and `link` to the last, `linkError` to every step.
   */
  async applyAsync(args: unknown[] = [], options: ApplyOptions = {}): Promise<AsyncResult<R>> {
    const host = hostOf('chain(...).applyAsync()', this.tasks);
    const { taskId, link, linkError, ...firstOptions } = options;
    const n = this.tasks.length;
    const errbacks = linkError === undefined ? [] : Array.isArray(linkError) ? linkError : [linkError];
    const steps = this.tasks.map((s, i) => {
      let sig = s.set({ taskId: i === n - 1 && taskId ? taskId : (s.options.taskId ?? randomUUID()) });
      if (i === n - 1 && link) sig = sig.set({ link: [...(sig.options.link ?? []), ...(Array.isArray(link) ? link : [link])] });
      if (errbacks.length) sig = sig.set({ linkError: [...(sig.options.linkError ?? []), ...errbacks] });
      return sig;
    });
    const results = handles<R>(host, steps);
    const first = steps[0]!;
    const firstArgs = first.immutable ? first.args : [...args, ...first.args];
    if (host.settings.taskAlwaysEager) {
      await runChainEagerly(host, steps, firstArgs, firstOptions);
      return results;
    }
    const msg = host.producer.build(first.task, firstArgs, { ...first.applyOptions(), ...firstOptions });
    msg.chain = steps.slice(1).reverse().map((s) => s.toDict());
    await host.producer.publish(msg);
    return results;
  }

  delay(...args: unknown[]): Promise<AsyncResult<R>> {
    return this.applyAsync(args);
  }
}

/** The last step's handle, its `.parent` the step before, and so on. */
function handles<R>(host: CanvasHost, steps: Signature[]): AsyncResult<R> {
  let prev: AsyncResult | null = null;
  for (const s of steps) {
    const r: AsyncResult = new AsyncResult(s.options.taskId!, host);
    r.parent = prev;
    prev = r;
  }
  return prev as AsyncResult<R>;
}

async function runChainEagerly(host: CanvasHost, steps: Signature[], firstArgs: unknown[], firstOptions: ApplyOptions): Promise<void> {
  let prev: unknown;
  let parentId: string | undefined;
  const rootId = steps[0]!.options.taskId!;
  for (const [i, s] of steps.entries()) {
    const args = i === 0 ? firstArgs : s.immutable ? s.args : [prev, ...s.args];
    const res = await host.sendTask(s.task, args, { ...s.applyOptions(), ...(i === 0 ? firstOptions : {}), rootId, ...(parentId ? { parentId } : {}) });
    const meta = await res.meta();
    if (meta?.status !== 'SUCCESS') {
      // NOTE: as a worker does: the steps that will not run fail too, so a get() on the last one does not hang.
      for (const rest of steps.slice(i + 1)) {
        const failed = makeMeta(rest.options.taskId!, meta?.status ?? 'FAILURE', meta?.result ?? null, { traceback: meta?.traceback ?? null, name: rest.task, done: true });
        await host.backend.store(failed, host.settings.resultExpires);
      }
      return;
    }
    prev = meta.result;
    parentId = res.id;
  }
}

/** `chain(add.s(2, 2), mul.s(4), mul.s(8))`: each task gets the previous one's result first. */
export function chain<R = unknown>(...steps: [...(Signature | Chain)[], Signature<R> | Chain<R>]): Chain<R> {
  return new Chain<R>(steps);
}

/** Options of a group or chord call: the call options of every member, and the group's id. */
export interface GroupApplyOptions extends Omit<ApplyOptions, 'taskId' | 'link' | 'linkError'> {
  /** Use this group id instead of a new UUID. */
  groupId?: string;
}

/** Tasks run in parallel; their results are gathered in order by a GroupResult (Celery's `group`). */
export class Group<R = unknown> {
  readonly tasks: readonly Signature[];

  constructor(tasks: Signature[]) {
    if (!Array.isArray(tasks)) throw expected('group', 'an array of signatures', tasks);
    this.tasks = checkSignatures('group', tasks);
  }

  /**
   * Sends every member, each with `headers.group` = the group id, in batched writes (one round trip per batch
   * of 1,000 on Redis). `args` go before each member's own. Nothing is sent if any member cannot be built.
   */
  async applyAsync(args: unknown[] = [], options: GroupApplyOptions = {}): Promise<GroupResult<R>> {
    const host = hostOf('group(...).applyAsync()', this.tasks);
    const { groupId = randomUUID(), ...callOptions } = options;
    const msgs = buildMembers(host, this.tasks, args, callOptions, groupId, false);
    const results = msgs.map((m) => new AsyncResult<R>(m.id, host));
    if (host.settings.taskAlwaysEager) {
      for (const m of msgs) await sendBuiltEagerly(host, m);
    } else {
      await host.producer.publishMany(msgs);
    }
    return new GroupResult<R>(groupId, results, host);
  }

  delay(...args: unknown[]): Promise<GroupResult<R>> {
    return this.applyAsync(args);
  }
}

function buildMembers(host: CanvasHost, tasks: readonly Signature[], args: unknown[], options: ApplyOptions, groupId: string, indexed: boolean): TaskMessage[] {
  return tasks.map((s, i) => {
    const msg = host.producer.build(s.task, s.immutable ? s.args : [...args, ...s.args], { ...s.applyOptions(), ...options });
    msg.group = groupId;
    // NOTE: as Celery 5.2: chord header members carry their index (the body's argument order), plain groups none.
    msg.groupIndex = indexed ? i : null;
    return msg;
  });
}

/** Runs a built message eagerly through sendTask (same id, group and options). */
function sendBuiltEagerly(host: CanvasHost, m: TaskMessage): Promise<AsyncResult> {
  return host.sendTask(m.task, m.args, { kwargs: m.kwargs, taskId: m.id, queue: m.queue, priority: m.priority, ignoreResult: m.ignoreResult });
}

/** `group([add.s(1, 1), add.s(2, 2)])` (or `group(a, b, c)`). */
export function group<R = unknown>(...tasks: Signature<R>[] | [Signature<R>[]]): Group<R> {
  const list = tasks.length === 1 && Array.isArray(tasks[0]) ? tasks[0] : (tasks as Signature<R>[]);
  return new Group<R>(list);
}

/** Options of a chord call: those of its header members, plus the body's id and errback. */
export interface ChordApplyOptions extends GroupApplyOptions {
  /** The body's task id (the chord's result id). */
  taskId?: string;
  /** Called with the body's id when the chord fails (a header task failed, or the body did). */
  linkError?: Signature | Signature[];
}

/**
 * A group whose results, in header order, are passed to a body task once all succeeded (Celery's `chord`).
 * Counted as Celery's Redis backend counts (`celery-taskset-meta-<gid>.s` / `.j`), by whichever worker, Node or
 * Python, finishes each header task; the keys are deleted when the chord completes, failed or not.
 */
export class Chord<R = unknown> {
  readonly header: Group;

  constructor(
    header: Group | Signature[],
    readonly body: Signature<R>,
  ) {
    this.header = header instanceof Group ? header : new Group(header);
    if (!(body instanceof Signature)) throw expected('chord body', 'a Signature', body);
  }

  /**
   * Stores the chord's size, then sends the header members (group id, group_index, the body in `embed.chord`).
   * Resolves the body's result handle; its `.parent` is the header's GroupResult. A header task that fails makes
   * the body FAILURE with a ChordError naming it, and calls the body's errbacks.
   */
  async applyAsync(args: unknown[] = [], options: ChordApplyOptions = {}): Promise<AsyncResult<R>> {
    const host = hostOf('chord(...).applyAsync()', [...this.header.tasks, this.body]);
    const { groupId = randomUUID(), taskId, linkError, ...callOptions } = options;
    let body = this.body.set({ taskId: taskId ?? this.body.options.taskId ?? randomUUID() });
    if (linkError) body = body.set({ linkError: [...(body.options.linkError ?? []), ...(Array.isArray(linkError) ? linkError : [linkError])] });
    const bodyId = body.options.taskId!;
    const result = new AsyncResult<R>(bodyId, host);
    if (!this.header.tasks.length) {
      // NOTE: as Celery: an empty header runs the body at once, with an empty list.
      const r = await body.applyAsync([[]]);
      return Object.assign(r, { parent: new GroupResult(groupId, [], host) }) as AsyncResult<R>;
    }
    const msgs = buildMembers(host, this.header.tasks, args, callOptions, groupId, true);
    result.parent = new GroupResult(groupId, msgs.map((m) => new AsyncResult(m.id, host)), host);
    if (host.settings.taskAlwaysEager) {
      await runChordEagerly(host, msgs, body);
      return result;
    }
    const counters = groupsOf(host.backend);
    if (!counters) {
      throw new ConfigurationError(`chord(...).applyAsync(): the result backend ${host.backend.url} keeps no chord counters (it lacks setChordSize / chordPartReturn); use redis:// or memory://`);
    }
    const bodyDict = body.toDict();
    for (const m of msgs) m.chord = bodyDict;
    await counters.setChordSize(groupId, msgs.length, host.settings.resultExpires);
    await host.producer.publishMany(msgs);
    return result;
  }

  delay(...args: unknown[]): Promise<AsyncResult<R>> {
    return this.applyAsync(args);
  }
}

async function runChordEagerly(host: CanvasHost, msgs: TaskMessage[], body: Signature): Promise<void> {
  const values: unknown[] = [];
  for (const m of msgs) {
    const res = await sendBuiltEagerly(host, m);
    const meta = await res.meta();
    if (meta?.status !== 'SUCCESS') {
      const err = new ChordError({ taskId: body.options.taskId!, excMessage: [`Dependency ${m.id} (${m.task}) raised ${meta?.status ?? 'no result'}`] });
      const parent = { ...m, id: body.options.taskId!, task: body.task, group: null, parentId: m.id };
      await host.backend.store(metas.failure(parent, err), host.settings.resultExpires);
      return;
    }
    values.push(meta.result);
  }
  await body.applyAsync([values]);
}

/** `chord([add.s(1, 1), add.s(2, 2)], tsum.s())`: the body gets the header's results, in order. */
export function chord<R = unknown>(header: Group | Signature[], body: Signature<R>): Chord<R> {
  return new Chord<R>(header, body);
}
