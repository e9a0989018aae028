// The dashboard: one Node `(req, res)` handler (page, JSON API, live stream, /metrics) that a server of its own
// (`listen()`, used by `celeriac dashboard`) or any framework mounts under a prefix (`basePath`).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventHistory, applyTaskEvent, type Celeriac, type CeleryEvent, type TaskRecord } from '@celeriac/core';
import { act, aliveFromEvents, listDeadLetters, listTasks, listed, overview, redriveAllDeadLetters, redriveDeadLetter, showTask, HttpError } from './api';
import { TOKEN_COOKIE, checkAccess, type AccessOptions } from './auth';
import { DashboardMetrics } from './metrics';
import { page } from './page';

export interface DashboardOptions extends AccessOptions {
  /** Hide and refuse the actions (revoke, terminate, retry, redrive dead letters). @default false */
  readOnly?: boolean;
  /** The path the dashboard is served under (`/admin/tasks`); '' at the root. @default '' */
  basePath?: string;
  /** Events read from the history to build the task list. @default 10 000 */
  historyWindow?: number;
  /** How often workers and queues are pushed to open pages, ms. @default 2 000 */
  overviewInterval?: number;
}

/** The header every action must carry: a cross-site form cannot set it (with cookie auth, no CSRF). */
export const ACTION_HEADER = 'x-celeriac-dashboard';

const LIVE_BATCH_MS = 200;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<void> {
  // NOTE: actions take no body; whatever was sent is drained (at most 64 KiB) so the connection can be reused.
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 65_536) throw new HttpError(413, 'request body too large');
  }
}

export class Dashboard {
  readonly history: EventHistory;
  readonly metrics: DashboardMetrics;
  readonly readOnly: boolean;
  readonly basePath: string;
  /** The handler to mount: `http.createServer(dashboard.handler)`, or a framework's route under `basePath`. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly #clients = new Set<ServerResponse>();
  readonly #records = new Map<string, TaskRecord>();
  #following: Promise<void> | null = null;
  #overviewTimer: NodeJS.Timeout | null = null;
  #closed = false;
  #server: Server | null = null;
  /** Every worker's last `worker-*` event (celeriac and Python), by hostname. */
  readonly #heartbeats = new Map<string, { event: CeleryEvent; at: number }>();
  #stopHeartbeats: Promise<() => Promise<void>> | null = null;
  /** Tasks changed since the last live frame. */
  readonly #changed = new Map<string, TaskRecord>();
  #flushTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly app: Celeriac,
    readonly options: DashboardOptions = {},
  ) {
    this.history = new EventHistory(app.broker, options.historyWindow ?? 10_000);
    this.metrics = new DashboardMetrics(app);
    this.readOnly = options.readOnly ?? false;
    const base = options.basePath ?? '';
    if (base && (!base.startsWith('/') || base.endsWith('/'))) throw new Error(`basePath must start with / and not end with one (e.g. /admin/tasks), got ${JSON.stringify(base)}`);
    this.basePath = base;
    this.handler = (req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        const status = err instanceof HttpError ? err.status : 500;
        const message = err instanceof Error ? err.message : String(err);
        if (status === 500) app.logger.error(`dashboard: ${req.method} ${req.url}: ${message}`);
        if (!res.headersSent) json(res, status, { error: message });
        else res.end();
      });
    };
  }

  /** Starts following the event history (live updates, metrics); `listen()` and the first request call it. */
  start(): void {
    if (this.#following || this.#closed) return;
    this.#following = this.#follow();
    this.#stopHeartbeats = this.history.transport.onWorkerEvents((e) => this.#heartbeats.set(e.hostname, { event: e, at: Date.now() }));
    this.#stopHeartbeats.catch((err: unknown) => this.app.logger.warn(`dashboard: cannot follow worker heartbeats: ${err instanceof Error ? err.message : String(err)}`));
  }

  async #follow(): Promise<void> {
    let after: string | null = null;
    while (!this.#closed) {
      try {
        if (after === null) {
          // NOTE: the recent history first (one read, from which live updates go on): a task received before the
          // dashboard started keeps its name and arguments when its later events arrive.
          const recent = await this.history.events(this.history.window);
          for (const { event } of recent) applyTaskEvent(this.#records, event);
          after = recent.length ? recent[recent.length - 1]!.id : '0-0';
        }
        const events = await this.history.follow(after, 1_000);
        for (const { id, event } of events) {
          after = id;
          this.metrics.observe(event);
          const r = applyTaskEvent(this.#records, event);
          if (r) this.#changed.set(r.id, r);
        }
        while (this.#records.size > 5_000) this.#records.delete(this.#records.keys().next().value!);
        // NOTE: at most one frame per LIVE_BATCH_MS with every task changed meanwhile (a busy cluster changes
        // thousands a second; the page redraws once per frame).
        if (this.#changed.size && !this.#flushTimer) this.#flushTimer = setTimeout(() => this.#flushChanged(), LIVE_BATCH_MS);
      } catch (err) {
        if (this.#closed) return;
        this.app.logger.warn(`dashboard: reading the event history failed, retrying: ${err instanceof Error ? err.message : String(err)}`);
        await sleep(1_000);
      }
    }
  }

  #flushChanged(): void {
    this.#flushTimer = null;
    const batch = [...this.#changed.values()].map(listed);
    this.#changed.clear();
    if (batch.length) this.#push('tasks', batch);
  }

  #push(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.#clients) c.write(frame);
  }

  #pushOverview(): void {
    this.#overview().then(
      (o) => this.#push('overview', o),
      (err: unknown) => this.app.logger.warn(`dashboard: overview failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  #overview(): ReturnType<typeof overview> {
    return overview(this.app, this.readOnly, aliveFromEvents(this.#heartbeats));
  }

  #stream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 2000\n\n');
    this.#clients.add(res);
    this.#overviewTimer ??= setInterval(() => {
      if (this.#clients.size) this.#pushOverview();
      for (const c of this.#clients) c.write(': ping\n\n');
    }, this.options.overviewInterval ?? 2_000);
    const done = () => {
      this.#clients.delete(res);
      if (!this.#clients.size && this.#overviewTimer) {
        clearInterval(this.#overviewTimer);
        this.#overviewTimer = null;
      }
    };
    req.on('close', done);
    res.on('close', done);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    let path = url.pathname;
    // NOTE: a framework may hand over the full path or strip its mount prefix; both work.
    if (this.basePath && (path === this.basePath || path.startsWith(`${this.basePath}/`))) path = path.slice(this.basePath.length) || '/';
    const queryToken = req.method === 'GET' && path === '/' ? (url.searchParams.get('token') ?? undefined) : undefined;
    const access = checkAccess(req, this.options, queryToken);
    if (!access.ok) {
      const headers: Record<string, string> = access.challenge ? { 'www-authenticate': access.challenge } : {};
      return json(res, access.status, { error: `not allowed: ${access.reason}` }, headers);
    }
    this.start();
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/') {
      const token = url.searchParams.get('token');
      if (token !== null && this.options.token) {
        // NOTE: reached only when the token matched (checkAccess): kept in an HttpOnly cookie, out of the URL.
        const cookiePath = `${this.basePath}/`;
        res.writeHead(303, { location: cookiePath, 'set-cookie': `${TOKEN_COOKIE}=${encodeURIComponent(this.options.token)}; HttpOnly; SameSite=Strict; Path=${cookiePath}` });
        return void res.end();
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:" });
      return void res.end(page(this.basePath, this.readOnly));
    }
    if (method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': this.metrics.registry.contentType });
      return void res.end(await this.metrics.text());
    }
    if (method === 'GET' && path === '/api/overview') return json(res, 200, await this.#overview());
    if (method === 'GET' && path === '/api/tasks') return json(res, 200, await listTasks(this.history, url.searchParams));
    if (method === 'GET' && path === '/api/stream') return this.#stream(req, res);
    const one = /^\/api\/tasks\/([^/]+)$/.exec(path);
    if (method === 'GET' && one) return json(res, 200, await showTask(this.app, this.history, decodeURIComponent(one[1]!)));
    if (method === 'GET' && path === '/api/dead-letters') return json(res, 200, await listDeadLetters(this.app, url.searchParams));
    const action = /^\/api\/tasks\/([^/]+)\/(revoke|terminate|retry)$/.exec(path);
    const redrive = /^\/api\/dead-letters\/(?:([^/]+)\/)?redrive$/.exec(path);
    if (action || redrive) {
      if (method !== 'POST') return json(res, 405, { error: `${path} takes POST` }, { allow: 'POST' });
      if (this.readOnly) return json(res, 403, { error: 'this dashboard is read-only' });
      if (req.headers[ACTION_HEADER] !== '1') return json(res, 403, { error: `actions need the header ${ACTION_HEADER}: 1` });
      await readBody(req);
      if (action) return json(res, 200, await act(this.app, this.history, decodeURIComponent(action[1]!), action[2]!));
      const id = redrive![1];
      return json(res, 200, id === undefined ? await redriveAllDeadLetters(this.app) : await redriveDeadLetter(this.app, decodeURIComponent(id)));
    }
    return json(res, 404, { error: `no such page: ${path}` });
  }

  /** Serves the dashboard on its own HTTP server (127.0.0.1 unless told otherwise). */
  async listen(port = 5555, host = '127.0.0.1'): Promise<{ url: string; port: number; host: string }> {
    if (this.#server) throw new Error('the dashboard is already listening');
    const server = createServer(this.handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#server = server;
    this.start();
    const addr = server.address() as AddressInfo;
    const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return { url: `http://${shown}:${addr.port}${this.basePath}/`, port: addr.port, host: addr.address };
  }

  /** Ends live streams, stops following the history, and closes its own server (not the app). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#overviewTimer) clearInterval(this.#overviewTimer);
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    for (const c of this.#clients) c.end();
    this.#clients.clear();
    if (this.#server) {
      const s = this.#server;
      this.#server = null;
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    await this.#following?.catch(() => undefined);
    const stop = await this.#stopHeartbeats?.catch(() => null);
    await stop?.();
  }
}

export function createDashboard(app: Celeriac, options: DashboardOptions = {}): Dashboard {
  return new Dashboard(app, options);
}
