// What a dead letter says when read: its position, queue, reason, and the task in its message when it can be
// decoded (the dlq CLI and the dashboard show the same thing).
import { decodeMessage } from '../protocol/message';
import type { DeadLetter } from './broker';

export interface DeadLetterView {
  /** 1-based position, oldest first (#1 is the oldest; numbers stay put as new letters arrive). */
  n: number;
  queue: string;
  reason: string;
  /** When it was dead-lettered, ISO 8601. */
  at: string;
  worker: string;
  task: string | null;
  id: string | null;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  raw?: string;
}

/** `full`: with the message's arguments and raw text. */
export function describeDeadLetter(d: DeadLetter, n: number, full: boolean): DeadLetterView {
  const out: DeadLetterView = { n, queue: d.queue, reason: d.reason, at: new Date(d.at).toISOString(), worker: d.worker, task: null, id: null };
  try {
    const msg = decodeMessage(d.raw, d.queue);
    out.task = msg.task;
    out.id = msg.id;
    if (full) Object.assign(out, { args: msg.args, kwargs: msg.kwargs });
  } catch {
    // NOTE: a malformed message (the reason says why) has no task to show; `full` gives its raw text.
  }
  if (full) out.raw = d.raw;
  return out;
}
