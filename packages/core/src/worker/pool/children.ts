// The threads and processes pools: a fixed number of pool members, each running one task at a time. The worker
// keeps the broker, acks and result stores; members only run task functions. A hard time limit, a revoke with
// terminate or a cold shutdown that the task does not heed ends the member, which is replaced; so is one that
// ran maxTasksPerChild tasks or grew past maxMemoryPerChild (between tasks, never mid-task). A member that dies
// fails only its own task (WorkerLostError, or back to its queue with rejectOnWorkerLost).
import type { PoolKind } from '../../config';
import { ConfigurationError, TimeLimitExceeded, WorkerLostError } from '../../errors';
import type { Logger } from '../../utils/logger';
import { setLongTimeout } from '../../utils/timers';
import { hardTimeLimit, type Outcome, type RunRequest } from '../trace';
import { openChannel, type Channel } from './channel';
import type { TaskPool } from './pool';
import { decodeOutcome, encodeError, type ChildSpec, type FromChild } from './wire';

/** How long a cancelled task (revoke with terminate, cold shutdown) has to stop before its member is ended. */
const CANCEL_GRACE_MS = 1_000;
/** How long a member may take to load the module. */
const LOAD_TIMEOUT_MS = 30_000;

export interface ChildPoolOptions {
  kind: Exclude<PoolKind, 'main'>;
  /** What members load: the module, and the worker's broker and backend (which a task sending others uses). */
  spec: ChildSpec;
  size: number;
  maxTasksPerChild: number | null;
  maxMemoryPerChild: number | null;
  logger: Logger;
}

interface Run {
  id: number;
  req: RunRequest;
  resolve: (o: Outcome) => void;
  timers: NodeJS.Timeout[];
  /** Set when the worker cancelled it: the outcome it ends with. */
  cancelled: Outcome | null;
}

class Member {
  readonly channel: Channel;
  /** `thread <threadId>` or `child <pid>`, for the log. */
  label = '';
  tasks = 0;
  run: Run | null = null;
  ready = false;
  /** Ended on purpose (recycled, closing): its exit is not a loss. */
  retiring = false;
  /** Ended by the pool while running (hard limit, cancel): the outcome its task gets. */
  endedWith: Outcome | null = null;
  constructor(kind: 'threads' | 'processes') {
    this.channel = openChannel(kind);
  }
}

export class ChildPool implements TaskPool {
  readonly kind: Exclude<PoolKind, 'main'>;
  readonly #members = new Set<Member>();
  readonly #waiting: Run[] = [];
  #nextId = 0;
  #closing = false;

  constructor(readonly options: ChildPoolOptions) {
    this.kind = options.kind;
  }

  async start(): Promise<void> {
    const started = Array.from({ length: this.options.size }, () => this.#spawn());
    const results = await Promise.allSettled(started);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      await this.close();
      throw failed.reason;
    }
  }

  #spawn(): Promise<void> {
    const m = new Member(this.kind);
    this.#members.add(m);
    return new Promise<void>((resolve, reject) => {
      const what = `pool ${this.kind === 'threads' ? 'thread' : 'child process'}`;
      const timer = setTimeout(() => {
        reject(new ConfigurationError(`${what} did not load module ${this.options.spec.module} within ${LOAD_TIMEOUT_MS} ms`));
        m.retiring = true;
        m.channel.kill();
      }, LOAD_TIMEOUT_MS);
      m.channel.onMessage((msg) => {
        if (msg.t === 'ready') {
          clearTimeout(timer);
          m.ready = true;
          m.label = this.kind === 'threads' ? `thread ${msg.threadId}` : `child ${msg.pid}`;
          resolve();
          this.#next(m);
        } else if (msg.t === 'load-failed') {
          clearTimeout(timer);
          m.retiring = true;
          // NOTE: asked to leave rather than ended at once (a thread that just ran its loading code: see child.ts 'exit').
          this.#leave(m);
          reject(new ConfigurationError(`${what} could not load the tasks' module ${this.options.spec.module}: ${msg.error}`));
        } else this.#onMessage(m, msg);
      });
      m.channel.onExit((why) => {
        clearTimeout(timer);
        if (!m.ready) reject(new ConfigurationError(`${what} exited (${why}) while loading module ${this.options.spec.module}`));
        this.#onExit(m, why);
      });
      m.channel.send({ t: 'init', spec: this.options.spec });
    });
  }

  run(req: RunRequest): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      const run: Run = { id: ++this.#nextId, req, resolve, timers: [], cancelled: null };
      const idle = [...this.#members].find((m) => m.ready && !m.run && !m.retiring);
      if (idle) this.#dispatch(idle, run);
      else this.#waiting.push(run);
    });
  }

  #next(m: Member): void {
    const run = this.#waiting.shift();
    if (run) this.#dispatch(m, run);
  }

  #dispatch(m: Member, run: Run): void {
    m.run = run;
    const { req } = run;
    const hard = hardTimeLimit(req.msg, req.def, req.settings);
    if (hard !== null) {
      run.timers.push(setLongTimeout(() => this.#end(m, { kind: 'failure', error: new TimeLimitExceeded(hard) }, `its time limit of ${hard} ms`), hard));
    }
    m.channel.send({
      t: 'run',
      id: run.id,
      msg: req.msg,
      hostname: req.hostname,
      settings: { taskMaxRetries: req.settings.taskMaxRetries, taskDefaultRetryDelay: req.settings.taskDefaultRetryDelay, taskSoftTimeLimit: req.settings.taskSoftTimeLimit },
    });
    // NOTE: the member's AbortSignal fires; a task that does not stop within the grace is ended with its member.
    req.cancellation?.onCancel((reason) => {
      if (run.cancelled || m.run !== run) return;
      run.cancelled = { kind: 'aborted', reason };
      m.channel.send({ t: 'cancel', id: run.id });
      run.timers.push(setTimeout(() => this.#end(m, run.cancelled!, 'it did not stop when cancelled'), CANCEL_GRACE_MS));
    });
  }

  /** Ends a member running a task: the task gets `outcome`, the member is replaced. */
  #end(m: Member, outcome: Outcome, why: string): void {
    if (!m.run || m.endedWith) return;
    m.endedWith = outcome;
    this.options.logger.warn(`Task ${m.run.req.msg.task}[${m.run.req.msg.id}]: ending its pool ${m.label}: ${why}`);
    m.channel.kill();
  }

  #noun(): string {
    return this.kind === 'threads' ? 'thread' : 'child';
  }

  #finish(m: Member, outcome: Outcome): void {
    const run = m.run;
    if (!run) return;
    m.run = null;
    for (const t of run.timers) clearTimeout(t);
    run.resolve(outcome);
  }

  #onMessage(m: Member, msg: FromChild): void {
    const run = m.run;
    if (msg.t === 'state') {
      if (!run || run.id !== msg.id) return;
      run.req.updateState(msg.state, msg.meta).then(
        () => m.channel.send({ t: 'state-done', seq: msg.seq, error: null }),
        (err: unknown) => m.channel.send({ t: 'state-done', seq: msg.seq, error: encodeError(err) as never }),
      );
      return;
    }
    if (msg.t !== 'done' || !run || run.id !== msg.id || m.endedWith) return;
    m.tasks++;
    const { maxTasksPerChild, maxMemoryPerChild } = this.options;
    // NOTE: a cancelled task may still have code running in the member (it ignored its signal): replaced too.
    const recycle =
      run.cancelled !== null
        ? 'its task was cancelled'
        : maxTasksPerChild !== null && m.tasks >= maxTasksPerChild
          ? `it ran ${m.tasks} tasks (maxTasksPerChild ${maxTasksPerChild})`
          : maxMemoryPerChild !== null && msg.memory > maxMemoryPerChild
            ? `it uses ${msg.memory} KiB (maxMemoryPerChild ${maxMemoryPerChild})`
            : null;
    if (recycle) this.#retire(m, recycle);
    this.#finish(m, run.cancelled ?? decodeOutcome(msg.outcome));
    if (!recycle) this.#next(m);
  }

  #retire(m: Member, why: string): void {
    m.retiring = true;
    // NOTE: at close there is no replacement: a member is stopped, and said so at debug level only.
    if (this.#closing) this.options.logger.debug(`stopping pool ${m.label}: ${why}`);
    else this.options.logger.info(`replacing pool ${m.label}: ${why}`);
    this.#leave(m);
  }

  /** Asks a member that runs no task to exit; bounded: one that does not leave (a stuck close()) is ended. */
  #leave(m: Member): void {
    m.channel.send({ t: 'exit' });
    const t = setTimeout(() => m.channel.kill(), 5_000);
    m.channel.onExit(() => clearTimeout(t));
  }

  #onExit(m: Member, why: string): void {
    this.#members.delete(m);
    const run = m.run;
    if (run) {
      let outcome = m.endedWith;
      if (!outcome) {
        const { msg, def, settings } = run.req;
        this.options.logger.error(`pool ${m.label} died (${why}) while running task ${msg.task}[${msg.id}]`);
        outcome = run.cancelled ?? ((def.options.rejectOnWorkerLost ?? settings.taskRejectOnWorkerLost)
          ? { kind: 'reject', reason: `its pool ${this.#noun()} died (${why})`, requeue: true }
          : { kind: 'failure', error: new WorkerLostError(`pool ${m.label} ended (${why})`) });
      }
      this.#finish(m, outcome);
    } else if (!m.retiring && m.ready && !this.#closing) {
      this.options.logger.error(`pool ${m.label} died (${why}) while idle`);
    }
    // NOTE: one that never loaded is retried by #replace() (or failed start()).
    if (this.#closing || !m.ready) return;
    this.#replace();
  }

  #replace(): void {
    this.#spawn().catch((err: unknown) => {
      this.options.logger.error(`could not replace a pool ${this.#noun()} (trying again in 1 s): ${err instanceof Error ? err.message : String(err)}`);
      if (!this.#closing) setTimeout(() => this.#replace(), 1_000).unref();
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    const members = [...this.#members];
    await Promise.all(
      members.map(
        (m) =>
          new Promise<void>((resolve) => {
            m.channel.onExit(() => resolve());
            if (m.run || !m.ready) m.channel.kill();
            else this.#retire(m, 'the worker is closing');
          }),
      ),
    );
  }
}
