// Canvas: signatures (a task call to make later), chains, groups and chords, sent as Celery sends them
// (shared/celery-wire.md §5, §10), so that Python workers take part in either role.
import { randomUUID } from 'node:crypto';
import type { Settings } from './config';
import { expected } from './config';
import type { ResultBackend } from './backend/backend';
import type { Producer } from './producer';
import type { SignatureDict } from './protocol/message';
import { AsyncResult, type ResultHost } from './result';
import type { ApplyOptions } from './task';
import { makeMeta } from './protocol/result-meta';
import { ConfigurationError } from './errors';

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
export function hostOf(what: string, sigs: Iterable<Signature>, given?: CanvasHost | null): CanvasHost {
  if (given) return given;
  for (const s of sigs) if (s.app) return s.app;
  throw new ConfigurationError(
    `${what}: no signature in it is bound to an app; make them with task.s() / task.si() or app.signature(), not the bare signature()`,
  );
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
    const steps = this.freeze({ taskId, link, linkError }).tasks;
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

  /** A copy whose steps have their task ids (`taskId` for the last), `link` on the last step, `linkError` on each. */
  freeze(options: Pick<ApplyOptions, 'taskId' | 'link' | 'linkError'> = {}): Chain<R> {
    const { taskId, link, linkError } = options;
    const n = this.tasks.length;
    const errbacks = linkError === undefined ? [] : Array.isArray(linkError) ? linkError : [linkError];
    return new Chain<R>(
      this.tasks.map((s, i) => {
        let sig = s.set({ taskId: i === n - 1 && taskId ? taskId : (s.options.taskId ?? randomUUID()) });
        if (i === n - 1 && link) sig = sig.set({ link: [...(sig.options.link ?? []), ...(Array.isArray(link) ? link : [link])] });
        if (errbacks.length) sig = sig.set({ linkError: [...(sig.options.linkError ?? []), ...errbacks] });
        return sig;
      }),
    );
  }

  /**
   * Celery's dict of a chain (`celery.chain`, `subtask_type` 'chain', the steps in `kwargs.tasks`), as a chord body
   * carries it; `options.task_id` is the last step's id. Freeze it first so that every step has its id.
   */
  toDict(): SignatureDict {
    const last = this.tasks[this.tasks.length - 1]!;
    const options: Record<string, unknown> = last.options.taskId ? { task_id: last.options.taskId } : {};
    return { task: 'celery.chain', args: [], kwargs: { tasks: this.tasks.map((t) => t.toDict()) }, options, subtask_type: 'chain', immutable: false };
  }
}

/** The last step's handle, its `.parent` the step before, and so on. */
export function handles<R>(host: CanvasHost, steps: readonly Signature[]): AsyncResult<R> {
  let prev: AsyncResult | null = null;
  for (const s of steps) {
    const r: AsyncResult = new AsyncResult(s.options.taskId!, host);
    r.parent = prev;
    prev = r;
  }
  return prev as AsyncResult<R>;
}

async function runChainEagerly(host: CanvasHost, steps: readonly Signature[], firstArgs: unknown[], firstOptions: ApplyOptions): Promise<void> {
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
