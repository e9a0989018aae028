// Server-Sent Events on a Node ServerResponse (what Express's `res`, Fastify's `reply.raw` and Nest's
// underlying response all are): headers, events with ids, heartbeat comments.
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/**
 * An event id: `<sequence>-<fingerprint>`. The sequence goes up by one per event, across reconnects (it resumes
 * from Last-Event-ID); the fingerprint is a hash of the event's data, so a reconnecting client is not sent again
 * the state it already has.
 */
export interface EventId {
  seq: number;
  fingerprint: string;
}

export function fingerprint(data: string): string {
  return createHash('sha1').update(data).digest('hex').slice(0, 12);
}

/** Reads a Last-Event-ID header value; anything else (absent, foreign, garbled) is null: a fresh start. */
export function parseEventId(value: string | string[] | null | undefined): EventId | null {
  const v = Array.isArray(value) ? value[0] : value;
  const m = typeof v === 'string' ? /^(\d{1,15})-([0-9a-f]{12})$/.exec(v) : null;
  return m ? { seq: Number(m[1]), fingerprint: m[2]! } : null;
}

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // NOTE: tells nginx not to buffer the stream (events would arrive in bursts, or only at the end).
  'x-accel-buffering': 'no',
};

// NOTE: a compression middleware (Express's `compression`) holds writes back until `flush()`.
function write(res: ServerResponse, chunk: string): void {
  res.write(chunk);
  (res as ServerResponse & { flush?: () => void }).flush?.();
}

/** Writes the SSE preamble: headers, then the reconnection delay hint. */
export function openStream(res: ServerResponse, retryMs: number): void {
  res.writeHead(200, SSE_HEADERS);
  write(res, `retry: ${retryMs}\n\n`);
}

/** One event; `data` is a single line of JSON. */
export function writeEvent(res: ServerResponse, event: string, data: string, id?: string): void {
  write(res, `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${data}\n\n`);
}

/** A comment line every `everyMs`, so proxies and browsers keep an idle stream open. Returns the stopper. */
export function heartbeat(res: ServerResponse, everyMs: number): () => void {
  const timer = setInterval(() => write(res, ': ping\n\n'), everyMs);
  return () => clearInterval(timer);
}
