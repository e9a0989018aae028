// A chord header task finished on this worker (succeeded, failed, revoked, expired, rejected, unknown): count it
// as Celery's Redis backend does (`on_chord_part_return`). Whoever counts the last part sends the body with the
// header's results in order, or, when a part failed, stores the body as FAILURE (ChordError naming the failed
// task) and calls the body's errbacks. Either way the chord's counters are gone afterwards.
import { groupsOf, type ChordPart, type GroupBackend } from '../backend/groups';
import { ChordError } from '../errors';
import type { SignatureDict, TaskMessage } from '../protocol/message';
import { argsRepr } from '../protocol/repr';
import { isExceptionInfo, makeMeta } from '../protocol/result-meta';
import { States } from '../states';
import type { Logger } from '../utils/logger';
import type { WorkerContext } from './context';

/** What counting a chord part needs from the worker (its JobHost has all of it). */
export interface ChordHost {
  readonly app: WorkerContext;
  readonly logger: Logger;
  readonly logsTasks: boolean;
  durable<T>(what: string, fn: () => Promise<T>): Promise<T>;
  reportError(err: unknown): void;
}

const FAILED = new Set<string>([States.FAILURE, States.REVOKED]);

/** Counts a finished header task of a chord; a no-op for a task that is not one. */
export async function chordPart(host: ChordHost, msg: TaskMessage, state: string, result: unknown): Promise<void> {
  const body = msg.chord;
  if (!body) return;
  const counters = groupsOf(host.app.backend);
  if (!counters || !msg.group) {
    const why = !msg.group
      ? 'its header task carries no group id'
      : `the result backend ${host.app.backend.url} keeps no chord counters`;
    return failBody(host, msg, body, `Chord body ${body.task} cannot run: ${why} (header task ${msg.task} [${msg.id}])`);
  }
  const gid = msg.group;
  const part: ChordPart = { taskId: msg.id, state, result, index: msg.groupIndex };
  const parts = await host.durable('count chord part', () => counters.chordPartReturn(gid, part, host.app.settings.resultExpires));
  if (parts === 'unknown') return unknownChord(host, msg, body, counters);
  if (!parts) return;
  const failed = parts.find((p) => FAILED.has(p.state));
  if (failed) {
    const name = failed.taskId === msg.id ? msg.task : await nameOf(host, failed.taskId);
    return failBody(host, msg, body, `Dependency ${failed.taskId}${name ? ` (${name})` : ''} raised ${pyRepr(failed)}`);
  }
  const [head, ...rest] = bodySteps(body);
  const next = host.app.producer.followUp(msg, head!, head!.immutable ? head!.args : [parts.map((p) => p.result), ...head!.args]);
  if (rest.length) next.chain = rest.reverse();
  await host.durable(`send ${next.task}`, () => host.app.producer.publish(next));
  if (host.logsTasks) host.logger.info(`Chord ${gid} complete (${parts.length} parts): sent ${next.task}[${next.id}]`);
}

const isSig = (v: unknown): v is SignatureDict =>
  typeof v === 'object' && v !== null && typeof (v as SignatureDict).task === 'string' && Array.isArray((v as SignatureDict).args);

/** The tasks a body runs: itself, or the steps of a chain body (Celery's `celery.chain` dict, steps in `kwargs.tasks`). */
function bodySteps(body: SignatureDict): SignatureDict[] {
  const tasks = body.subtask_type === 'chain' ? body.kwargs.tasks : null;
  if (!Array.isArray(tasks) || !tasks.length || !tasks.every(isSig)) return [body];
  return tasks.map((t) => ({ ...t, kwargs: t.kwargs ?? {}, options: t.options ?? {}, immutable: t.immutable === true }));
}

const idOf = (sig: SignatureDict): string | null => (typeof sig.options.task_id === 'string' && sig.options.task_id ? sig.options.task_id : null);

/**
 * No size is stored for the chord. Either it is not stored yet (a Python client stores it just before sending its
 * last header task; the part is kept and counted then, as Celery does), or the chord completed and this header
 * task ran a second time (its worker died before acking it): the body has a state then, and the part just
 * recreated is deleted so no key stays behind.
 */
async function unknownChord(host: ChordHost, msg: TaskMessage, body: SignatureDict, counters: GroupBackend): Promise<void> {
  const bodyId = idOf(body);
  if (!bodyId || (await host.durable('read result', () => host.app.backend.get(bodyId))) === null) return;
  await host.durable('forget chord', () => counters.forgetChord(msg.group!));
}

async function nameOf(host: ChordHost, taskId: string): Promise<string | undefined> {
  try {
    return (await host.app.backend.get(taskId))?.name;
  } catch {
    return undefined;
  }
}

/** `ValueError('boom')`, as Python's repr of the exception a part holds. */
function pyRepr(p: ChordPart): string {
  if (!isExceptionInfo(p.result)) return p.state;
  const msg = p.result.exc_message;
  const list = Array.isArray(msg) ? msg : [msg];
  const tuple = argsRepr(list);
  return `${p.result.exc_type}(${list.length === 1 ? tuple.slice(1, -2) : tuple.slice(1, -1)})`;
}

/**
 * Stores the body as FAILURE (ChordError) and sends its errbacks with the body's id (Celery's
 * chord_error_from_stack). A chain body: every step is failed, so no handle of it waits forever.
 */
async function failBody(host: ChordHost, msg: TaskMessage, body: SignatureDict, text: string): Promise<void> {
  const bodyId = idOf(body);
  const error = new ChordError({ taskId: bodyId ?? '', excMessage: [text] });
  host.logger.error(`Chord ${msg.group ?? ''} failed: ${text}`);
  const steps = bodySteps(body);
  const failed = new Map<string, string>(steps.flatMap((s) => (idOf(s) ? [[idOf(s)!, s.task] as [string, string]] : [])));
  if (bodyId && !failed.has(bodyId)) failed.set(bodyId, body.task);
  for (const [id, task] of failed) {
    const meta = makeMeta(id, States.FAILURE, { exc_type: 'ChordError', exc_message: [text], exc_module: 'celery.exceptions' }, {
      parentId: msg.id,
      name: task,
      traceback: error.stack ?? null,
      done: true,
    });
    await host.durable('store result', () => host.app.backend.store(meta, host.app.settings.resultExpires));
  }
  if (!bodyId) return;
  const errbacks = Array.isArray(body.options.link_error) ? (body.options.link_error as unknown[]).filter(isSig) : [];
  const asParent: TaskMessage = { ...msg, id: bodyId, task: body.task, group: null, groupIndex: null, chord: null };
  for (const eb of errbacks) {
    try {
      const m = host.app.producer.followUp(asParent, { ...eb, kwargs: eb.kwargs ?? {}, options: eb.options ?? {} }, [bodyId, ...eb.args]);
      await host.durable(`send ${m.task}`, () => host.app.producer.publish(m));
    } catch (err) {
      host.reportError(err);
    }
  }
}
