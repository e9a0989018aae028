// Groups and chords: members sent in batched writes with `headers.group`; a chord's header counted in Celery's
// `celery-taskset-meta-<gid>.s` / `.j` keys by whichever worker, Node or Python, finishes each member.
import { randomUUID } from 'node:crypto';
import { expected } from './config';
import { groupsOf } from './backend/groups';
import { Chain, handles, hostOf, Signature, type CanvasHost } from './canvas';
import { ChordError, ConfigurationError } from './errors';
import { GroupResult } from './group-result';
import type { SignatureDict, TaskMessage } from './protocol/message';
import { AsyncResult } from './result';
import type { ApplyOptions } from './task';
import { metas } from './worker/meta';

function checkSignatures(what: string, list: unknown[]): Signature[] {
  list.forEach((s, i) => {
    if (!(s instanceof Signature)) throw expected(`${what}[${i}]`, 'a Signature (task.s(...), task.si(...) or app.signature(...))', s);
  });
  return list as Signature[];
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
    /** A signature, or a chain whose first step gets the header's results. */
    readonly body: Signature<R> | Chain<R>,
  ) {
    this.header = header instanceof Group ? header : new Group(header);
    if (!(body instanceof Signature) && !(body instanceof Chain)) throw expected('chord body', 'a Signature or a chain', body);
  }

  /**
   * Stores the chord's size, then sends the header members (group id, group_index, the body in `embed.chord`).
   * Resolves the body's result handle (a chain body: its last step's); the header's GroupResult is the `.parent`
   * of the body (of a chain body's first step). A header task that fails makes the body FAILURE with a ChordError
   * naming it, and calls the body's errbacks (`linkError`, `body.onError()`).
   */
  async applyAsync(args: unknown[] = [], options: ChordApplyOptions = {}): Promise<AsyncResult<R>> {
    const bodySigs = this.body instanceof Chain ? [...this.body.tasks] : [this.body];
    const host = hostOf('chord(...).applyAsync()', [...this.header.tasks, ...bodySigs]);
    const { groupId = randomUUID(), taskId, linkError, ...callOptions } = options;
    const errbacks = linkError === undefined ? [] : Array.isArray(linkError) ? linkError : [linkError];
    let body: Signature<R> | Chain<R>;
    let bodyDict: SignatureDict;
    let result: AsyncResult<R>;
    let bottom: AsyncResult;
    if (this.body instanceof Chain) {
      const frozen = this.body.freeze({ taskId, linkError: errbacks });
      body = frozen;
      bodyDict = frozen.toDict();
      if (errbacks.length) bodyDict.options.link_error = errbacks.map((e) => e.toDict());
      result = handles<R>(host, frozen.tasks);
      bottom = first(result);
    } else {
      let sig = this.body.set({ taskId: taskId ?? this.body.options.taskId ?? randomUUID() });
      if (errbacks.length) sig = sig.set({ linkError: [...(sig.options.linkError ?? []), ...errbacks] });
      body = sig;
      bodyDict = sig.toDict();
      result = bottom = new AsyncResult<R>(sig.options.taskId!, host);
    }
    if (!this.header.tasks.length) {
      // NOTE: as Celery: an empty header runs the body at once, with an empty list.
      await body.applyAsync([[]]);
      bottom.parent = new GroupResult(groupId, [], host);
      return result;
    }
    const msgs = buildMembers(host, this.header.tasks, args, callOptions, groupId, true);
    bottom.parent = new GroupResult(groupId, msgs.map((m) => new AsyncResult(m.id, host)), host);
    if (host.settings.taskAlwaysEager) {
      await runChordEagerly(host, msgs, body);
      return result;
    }
    const counters = groupsOf(host.backend);
    if (!counters) {
      throw new ConfigurationError(`chord(...).applyAsync(): the result backend ${host.backend.url} keeps no chord counters (it lacks setChordSize / chordPartReturn); use redis:// or memory://`);
    }
    for (const m of msgs) m.chord = bodyDict;
    await counters.setChordSize(groupId, msgs.length, host.settings.resultExpires);
    try {
      await host.producer.publishMany(msgs);
    } catch (err) {
      // NOTE: best effort: a chord that was not sent leaves no size key behind.
      await counters.forgetChord(groupId).catch(() => undefined);
      throw err;
    }
    return result;
  }

  delay(...args: unknown[]): Promise<AsyncResult<R>> {
    return this.applyAsync(args);
  }
}

/** The first handle of a `.parent` chain. */
function first(r: AsyncResult): AsyncResult {
  let node = r;
  while (node.parent instanceof AsyncResult) node = node.parent;
  return node;
}

async function runChordEagerly(host: CanvasHost, msgs: TaskMessage[], body: Signature | Chain): Promise<void> {
  const values: unknown[] = [];
  const steps = body instanceof Chain ? body.tasks : [body];
  for (const m of msgs) {
    const res = await sendBuiltEagerly(host, m);
    const meta = await res.meta();
    if (meta?.status !== 'SUCCESS') {
      for (const step of steps) {
        const id = step.options.taskId!;
        const err = new ChordError({ taskId: id, excMessage: [`Dependency ${m.id} (${m.task}) raised ${meta?.status ?? 'no result'}`] });
        await host.backend.store(metas.failure({ ...m, id, task: step.task, group: null, parentId: m.id }, err), host.settings.resultExpires);
      }
      return;
    }
    values.push(meta.result);
  }
  await body.applyAsync([values]);
}

/** `chord([add.s(1, 1), add.s(2, 2)], tsum.s())`: the body gets the header's results, in order. */
export function chord<R = unknown>(header: Group | Signature[], body: Signature<R> | Chain<R>): Chord<R> {
  return new Chord<R>(header, body);
}
