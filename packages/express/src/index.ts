// @celeriac/express: a middleware (`req.celeriac`, `res.accepted(result)`), a router with the task-status routes
// (JSON and Server-Sent Events, from core's status handler), an error handler for celeriac errors, and close().
import {
  acceptedBody,
  checkRetryAfter,
  createStatusHandler,
  errorReply,
  statusPrefix,
  type Celeriac,
} from '@celeriac/core';
import { Router, type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';

export interface CeleriacExpressOptions {
  /** The celeriac app the routes send with and read task states from. */
  app: Celeriac;
  /**
   * Where you mount `router` (`server.use(prefix, tasks.router)`); `res.accepted()` answers `status_url: <prefix>/<id>`.
   * @default '/tasks'
   */
  prefix?: string;
  /**
   * Whether this request may see the result or error of a task that is not `public` (state and progress are always
   * shown). Called once per status request.
   * @default none: only tasks with `public: true` reveal results
   */
  authorize?: (req: Request, taskId: string) => boolean | Promise<boolean>;
  /** Milliseconds between `: ping` comments on an idle event stream. @default 15 000 */
  heartbeat?: number;
  /** Reconnection delay suggested to browsers (`retry:`), ms. @default 2 000 */
  retry?: number;
  /** Also show tracebacks where results are shown (debugging only). @default false */
  traceback?: boolean;
  /** Seconds in `Retry-After` with a 503. @default 5 */
  retryAfter?: number;
  /** Whether `close()` also closes the app (its workers, then its connections). @default true */
  closeApp?: boolean;
}

export interface CeleriacExpress {
  /** Sets `req.celeriac` and `res.accepted(result)`; mount it before your routes. */
  middleware: RequestHandler;
  /** `GET /:id` and `GET /:id/events`; mount it at the prefix: `server.use('/tasks', tasks.router)`. */
  router: Router;
  /**
   * Answers celeriac errors as JSON (broker down: 503 with Retry-After; arguments JSON cannot carry: 400) and passes
   * anything else on. Mount it after your routes: `server.use(tasks.errorHandler)`.
   */
  errorHandler: ErrorRequestHandler;
  /** Graceful shutdown: ends open event streams (so `server.close()` can finish), then closes the app. */
  close(): Promise<void>;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The celeriac app (set by `tasks.middleware`). */
      celeriac: Celeriac;
    }
    interface Response {
      /** Answers `202 { task_id, status_url }` (with a `Location` header) for a sent task (set by `tasks.middleware`). */
      accepted(result: { readonly id: string }): this;
    }
  }
}

const NAME = '@celeriac/express';

/** `const tasks = celeriac({ app }); server.use(tasks.middleware); server.use('/tasks', tasks.router);` */
export function celeriac(options: CeleriacExpressOptions): CeleriacExpress {
  if (typeof options !== 'object' || options === null) throw new TypeError(`${NAME}: expected options { app, prefix?, authorize? }`);
  const { app, authorize, heartbeat, retry, traceback, closeApp = true } = options;
  if (typeof (app as Partial<Celeriac> | undefined)?.getTask !== 'function') throw new TypeError(`${NAME}: \`app\` must be a celeriac app (createApp())`);
  const prefix = statusPrefix(options.prefix);
  const retryAfter = checkRetryAfter(options.retryAfter);
  const status = createStatusHandler<Request>(app, { authorize, heartbeat, retry, traceback });

  function accepted(this: Response, result: { readonly id: string }): Response {
    const body = acceptedBody(result, prefix);
    return this.status(202).location(body.status_url).json(body);
  }

  const middleware: RequestHandler = function celeriacMiddleware(req, res, next) {
    req.celeriac = app;
    res.accepted = accepted;
    next();
  };

  const errorHandler: ErrorRequestHandler = function celeriacErrorHandler(err: unknown, _req: Request, res: Response, next: NextFunction) {
    const answer = errorReply(err, { retryAfter });
    if (!answer || res.headersSent) return next(err);
    if (answer.statusCode >= 500) app.logger.error(`${NAME}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    res.status(answer.statusCode).set(answer.headers).json(answer.body);
  };

  const router = Router();
  // NOTE: explicit `.catch(next)`: Express 4 does not catch a handler's rejected promise.
  router.get('/:id', (req: Request<{ id: string }>, res, next) => {
    status.json(req.params.id, req).then((r) => void res.status(r.statusCode).set(r.headers).json(r.body), next);
  });
  router.get('/:id/events', (req: Request<{ id: string }>, res, next) => {
    status.stream(req.params.id, req, res, { lastEventId: req.get('last-event-id') }).catch(next);
  });
  router.use(errorHandler);

  let closing: Promise<void> | null = null;
  return {
    middleware,
    router,
    errorHandler,
    close() {
      closing ??= (async () => {
        status.closeStreams();
        if (closeApp) await app.close();
      })();
      return closing;
    },
  };
}

export default celeriac;
