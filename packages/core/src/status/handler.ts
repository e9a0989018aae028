// The task-status routes, framework-neutral: `GET <prefix>/:id` (JSON) and `GET <prefix>/:id/events` (SSE).
// The Nest, Fastify and Express integrations only hand their request and Node response to these two calls.
import type { ServerResponse } from 'node:http';
import type { ResultBackend } from '../backend/backend';
import { checkInt, expected } from '../config';
import type { ResultMeta } from '../protocol/result-meta';
import type { TaskRegistry } from '../registry';
import type { Logger } from '../utils/logger';
import { toStatus, type Reveal, type TaskStatus } from './status';
import { fingerprint, heartbeat, openStream, parseEventId, writeEvent } from './sse';
import { watchMetas } from './watch';

/**
 * Task ids the routes accept: 1–128 characters of letters, digits and `- _ . : @`, starting with a letter or digit.
 * Celery's ids (UUIDs) and sane custom `taskId`s fit; anything else is a 400 before any lookup.
 */
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;

export function isValidTaskId(id: unknown): id is string {
  return typeof id === 'string' && TASK_ID_PATTERN.test(id);
}

/** What the handler reads from its app. */
export interface StatusHost {
  readonly backend: ResultBackend;
  readonly registry: TaskRegistry;
  readonly logger: Logger;
}

export interface StatusHandlerOptions<Req = unknown> {
  /**
   * Whether this request may see the task's result and error (tasks with `public: true` always may). Called once
   * per request with the framework's request object. A throw rejects the call (before anything is written).
   * @default none: only public tasks reveal
   */
  authorize?: (req: Req, taskId: string) => boolean | Promise<boolean>;
  /** Also reveal tracebacks where results are revealed (debugging only). @default false */
  traceback?: boolean;
  /** Milliseconds between `: ping` comments on an idle stream. @default 15 000 */
  heartbeat?: number;
  /** Reconnection delay suggested to browsers (`retry:`), ms. @default 2 000 */
  retry?: number;
}

export interface JsonReply {
  statusCode: number;
  headers: Record<string, string>;
  body: TaskStatus | { message: string };
}

export interface StreamOptions {
  /** The request's `Last-Event-ID` header, when the browser reconnects. */
  lastEventId?: string | string[] | null;
}

export interface StatusHandler<Req = unknown> {
  /** `GET <prefix>/:id`: 200 with the TaskStatus, or 400 `{ message }` for a malformed id. */
  json(taskId: string, req: Req): Promise<JsonReply>;
  /**
   * `GET <prefix>/:id/events`: writes the SSE stream to `res` and resolves when it ends (task ready, or the client
   * went away: the subscription is released). Event `status` with a TaskStatus; ids for Last-Event-ID; `: ping`
   * heartbeats. A malformed id gets a 400 JSON; a reconnect after the final event gets 204 (browsers stop).
   * Rejects only before anything was written (e.g. the backend is unreachable), so the framework can answer.
   */
  stream(taskId: string, req: Req, res: ServerResponse, options?: StreamOptions): Promise<void>;
  /**
   * Ends every open stream, for a server shutting down (an open SSE stream would keep `server.close()` waiting
   * forever). Browsers reconnect with their Last-Event-ID. Streams opened afterwards still work.
   */
  closeStreams(): void;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

const badId = (taskId: unknown) => ({
  message: `Malformed task id ${JSON.stringify(String(taskId).slice(0, 140))}: expected 1-128 letters, digits or - _ . : @`,
});

/**
 * The status routes' logic over an app (or anything with its backend, registry and logger). An integration only
 * passes its request and Node response through, e.g. with Express:
 * ```ts
 * const status = createStatusHandler<Request>(app, { authorize: (req, id) => ownsTask(req.user, id) });
 * router.get('/:id', (req, res, next) =>
 *   status.json(req.params.id, req).then((r) => res.status(r.statusCode).set(r.headers).json(r.body), next));
 * router.get('/:id/events', (req, res, next) =>
 *   status.stream(req.params.id, req, res, { lastEventId: req.get('last-event-id') }).catch(next));
 * ```
 */
export function createStatusHandler<Req = unknown>(app: StatusHost, options: StatusHandlerOptions<Req> = {}): StatusHandler<Req> {
  const { authorize } = options;
  if (authorize !== undefined && typeof authorize !== 'function') throw expected('authorize', 'a function (req, taskId) => boolean', authorize);
  const every = checkInt('heartbeat', options.heartbeat ?? 15_000, 1);
  const retry = checkInt('retry', options.retry ?? 2_000, 0);
  const full: Reveal = options.traceback ? { traceback: true } : true;

  const allowed = async (req: Req, taskId: string): Promise<boolean> => (authorize ? (await authorize(req, taskId)) === true : false);
  const revealFor = (meta: ResultMeta | null, authorized: boolean): Reveal => {
    if (authorized) return full;
    const name = meta?.name;
    return name !== undefined && app.registry.get(name)?.options.public === true ? full : false;
  };

  const open = new Map<ServerResponse, AbortController>();

  return {
    closeStreams() {
      for (const [res, gone] of open) {
        gone.abort();
        // NOTE: a stream still waiting for its first state has sent nothing yet: a 503 tells the browser to retry.
        if (!res.headersSent) res.writeHead(503, { ...JSON_HEADERS, 'retry-after': '1' }).end(JSON.stringify({ message: 'The server is shutting down' }));
        else if (!res.writableEnded) res.end();
      }
      open.clear();
    },

    async json(taskId, req) {
      if (!isValidTaskId(taskId)) return { statusCode: 400, headers: { ...JSON_HEADERS }, body: badId(taskId) };
      const authorized = await allowed(req, taskId);
      const meta = await app.backend.get(taskId);
      return { statusCode: 200, headers: { ...JSON_HEADERS }, body: toStatus(taskId, meta, revealFor(meta, authorized)) };
    },

    async stream(taskId, req, res, streamOptions = {}) {
      if (!isValidTaskId(taskId)) {
        res.writeHead(400, JSON_HEADERS).end(JSON.stringify(badId(taskId)));
        return;
      }
      const authorized = await allowed(req, taskId);
      const resume = parseEventId(streamOptions.lastEventId);
      let seq = resume?.seq ?? 0;
      let lastPrint = resume?.fingerprint ?? null;
      const gone = new AbortController();
      const onClose = () => gone.abort();
      res.once('close', onClose);
      open.set(res, gone);
      // NOTE: the client may have left while `authorize` ran: 'close' has then already been emitted.
      if (res.destroyed) gone.abort();
      const metas = watchMetas(app.backend, taskId, gone.signal);
      let stopBeat: (() => void) | null = null;
      const send = (meta: ResultMeta | null): boolean => {
        const status = toStatus(taskId, meta, revealFor(meta, authorized));
        const data = JSON.stringify(status);
        const print = fingerprint(data);
        // NOTE: a reconnecting browser already has this state (same data as its Last-Event-ID): not sent again.
        if (print !== lastPrint) {
          lastPrint = print;
          writeEvent(res, 'status', data, `${++seq}-${print}`);
        }
        return status.ready;
      };
      try {
        const first = await metas.next();
        if (first.done || gone.signal.aborted) return;
        const ready = first.value !== null && toStatus(taskId, first.value).ready;
        if (ready && resume && fingerprint(JSON.stringify(toStatus(taskId, first.value, revealFor(first.value, authorized)))) === resume.fingerprint) {
          // NOTE: 204 is how SSE tells a browser to stop reconnecting: it has the final state already.
          res.writeHead(204).end();
          return;
        }
        openStream(res, retry);
        stopBeat = heartbeat(res, every);
        if (send(first.value)) return;
        for await (const meta of metas) if (send(meta)) return;
      } catch (err) {
        if (!res.headersSent) throw err;
        if (res.writableEnded) return;
        const message = err instanceof Error ? err.message : String(err);
        app.logger.warn(`status stream of task ${taskId} ended: ${message}`);
        writeEvent(res, 'error', JSON.stringify({ message }));
      } finally {
        stopBeat?.();
        open.delete(res);
        res.off('close', onClose);
        gone.abort();
        await metas.return();
        if (res.headersSent && !res.writableEnded) res.end();
      }
    },
  };
}
