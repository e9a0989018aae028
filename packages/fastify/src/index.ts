// @celeriac/fastify: `fastify.celeriac`, `reply.accepted(result)`, the task-status routes (JSON and Server-Sent
// Events, from core's status handler), celeriac errors as JSON, and an optional embedded worker.
import {
  acceptedBody,
  checkRetryAfter,
  createApp,
  createStatusHandler,
  errorReply,
  statusPrefix,
  type AppConfig,
  type Celeriac,
  type StatusHandler,
  type Worker,
  type WorkerOptions,
} from '@celeriac/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

export interface CeleriacRoutesOptions {
  /** Where the status routes live: `GET <prefix>/:id` and `GET <prefix>/:id/events`. @default '/tasks' */
  prefix?: string;
  /**
   * Whether this request may see the result or error of a task that is not `public` (state and progress are always
   * shown). Called once per status request.
   * @default none: only tasks with `public: true` reveal results
   */
  authorize?: (req: FastifyRequest, taskId: string) => boolean | Promise<boolean>;
  /** Milliseconds between `: ping` comments on an idle event stream. @default 15 000 */
  heartbeat?: number;
  /** Reconnection delay suggested to browsers (`retry:`), ms. @default 2 000 */
  retry?: number;
  /** Also show tracebacks where results are shown (debugging only). @default false */
  traceback?: boolean;
}

interface CommonOptions {
  /** Status routes under `prefix`; `false` registers none (`reply.accepted()` still points there). @default {} */
  routes?: CeleriacRoutesOptions | false;
  /** An embedded worker (development, small deployments), started on `ready` and closed on `close`. */
  worker?: WorkerOptions;
  /**
   * Answer celeriac errors as JSON (broker down: 503 with Retry-After; arguments JSON cannot carry: 400). Set it to
   * `false` when you install your own error handler (core's `errorReply(err)` gives the same answers).
   * @default true
   */
  errorHandler?: boolean;
  /** Seconds in `Retry-After` with a 503. @default 5 */
  retryAfter?: number;
}

/** Use an app you built: it stays yours unless `closeApp` (the plugin then closes it on `onClose`). */
export interface CeleriacGivenAppOptions extends CommonOptions {
  app: Celeriac;
  /** @default false */
  closeApp?: boolean;
}

/** Let the plugin build the app (closed on `onClose`): celeriac's settings, plus its name and an env namespace. */
export interface CeleriacConfigOptions extends CommonOptions, AppConfig {
  app?: undefined;
  /** The app's name. @default 'celeriac' */
  name?: string;
  /** Reads `<namespace>_BROKER_URL`, `<namespace>_WORKER_CONCURRENCY`, … over the given settings. */
  namespace?: string;
}

export type CeleriacPluginOptions = CeleriacGivenAppOptions | CeleriacConfigOptions;

declare module 'fastify' {
  interface FastifyInstance {
    /** The celeriac app: `fastify.celeriac.getTask(…)`, `.asyncResult(id)`, … */
    celeriac: Celeriac;
  }
  interface FastifyReply {
    /** Answers `202 { task_id, status_url }` (with a `Location` header) for a sent task. */
    accepted(result: { readonly id: string }): FastifyReply;
  }
}

const NAME = '@celeriac/fastify';

function buildApp(options: CeleriacPluginOptions): { app: Celeriac; owned: boolean } {
  if (options.app !== undefined) {
    const given = options.app as Partial<Celeriac>;
    if (typeof given.getTask !== 'function' || typeof given.close !== 'function') throw new TypeError(`${NAME}: \`app\` must be a celeriac app (createApp())`);
    return { app: options.app, owned: options.closeApp === true };
  }
  const { name = 'celeriac', namespace, routes: _r, worker: _w, errorHandler: _e, retryAfter: _ra, app: _a, ...config } = options;
  const app = createApp(name, config);
  if (namespace !== undefined) app.configFromEnv(namespace);
  return { app, owned: true };
}

async function celeriacPlugin(fastify: FastifyInstance, options: CeleriacPluginOptions): Promise<void> {
  if (fastify.hasDecorator('celeriac')) throw new Error(`${NAME} has already been registered`);
  const routes = options.routes === false ? null : (options.routes ?? {});
  const prefix = statusPrefix(routes?.prefix);
  const retryAfter = checkRetryAfter(options.retryAfter);
  const { app, owned } = buildApp(options);
  let status: StatusHandler<FastifyRequest> | null = null;
  if (routes) {
    const { authorize, heartbeat, retry, traceback } = routes;
    status = createStatusHandler<FastifyRequest>(app, { authorize, heartbeat, retry, traceback });
  }

  fastify.decorate('celeriac', app);
  fastify.decorateReply('accepted', function accepted(this: FastifyReply, result: { readonly id: string }) {
    const body = acceptedBody(result, prefix);
    return this.code(202).header('location', body.status_url).send(body);
  });

  if (options.errorHandler !== false) {
    fastify.setErrorHandler(function celeriacErrorHandler(err: FastifyError, _req, reply) {
      const answer = errorReply(err, { retryAfter });
      // NOTE: thrown on, any other error reaches the parent handler (Fastify's default one at the root).
      if (!answer) throw err;
      if (answer.statusCode >= 500) this.log.error({ err }, `${NAME}: ${err.message}`);
      return reply.code(answer.statusCode).headers(answer.headers).send(answer.body);
    });
  }

  if (status) registerRoutes(fastify, status, prefix, retryAfter);

  let worker: Worker | null = null;
  if (options.worker) {
    worker = app.worker(options.worker);
    fastify.addHook('onReady', async () => {
      await worker!.start();
      fastify.log.info(worker!.banner());
      for (const { task, queue } of worker!.unconsumedRoutes()) fastify.log.warn(`${NAME}: task ${task} is routed to queue ${queue}, which the embedded worker does not consume`);
    });
  }
  // NOTE: open event streams would keep the server's close waiting forever: they end before it.
  if (status) fastify.addHook('preClose', async () => status!.closeStreams());
  fastify.addHook('onClose', async () => {
    await worker?.close();
    if (owned) await app.close();
  });
}

function registerRoutes(fastify: FastifyInstance, status: StatusHandler<FastifyRequest>, prefix: string, retryAfter: number): void {
  // NOTE: one wildcard route, not `/:id` and `/:id/events`: Fastify caps a `:param` at maxParamLength (100 by
  // default) with a 414, and task ids may have 128 characters. Static routes of the app under the prefix still win.
  fastify.get<{ Params: { '*': string } }>(`${prefix === '/' ? '' : prefix}/*`, async (req, reply) => {
    const path = req.params['*'];
    if (!path.endsWith('/events')) {
      const answer = await status.json(path, req);
      return reply.code(answer.statusCode).headers(answer.headers).send(answer.body);
    }
    const id = path.slice(0, -'/events'.length);
    // NOTE: the stream writes to the raw response; Fastify must not answer on its own.
    reply.hijack();
    try {
      await status.stream(id, req, reply.raw, { lastEventId: req.headers['last-event-id'] });
    } catch (err) {
      // Rejected before anything was written (e.g. the result backend is down): answer as the error handler would.
      const answer = errorReply(err, { retryAfter }) ?? { statusCode: 500, headers: { 'content-type': 'application/json; charset=utf-8' }, body: { error: 'InternalServerError', message: 'The status stream failed.' } };
      req.log.error({ err }, `${NAME}: status stream of task ${id} failed`);
      if (!reply.raw.headersSent) reply.raw.writeHead(answer.statusCode, answer.headers).end(JSON.stringify(answer.body));
    }
  });
}

/** The plugin: `await fastify.register(celeriac, { app, routes: { prefix: '/tasks', authorize } })`. */
export const celeriac = fp(celeriacPlugin, { name: NAME, fastify: '5.x' });
export default celeriac;
