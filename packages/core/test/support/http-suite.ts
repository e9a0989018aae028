// One suite for every HTTP integration (Fastify, Express, …), over a real socket: a route that `.delay()`s and
// answers 202, the status routes (JSON and SSE) the integration mounts, errors as JSON, and shutdown with open
// streams. Each integration gives a `serve` that builds its server the way a user would.
import type { IncomingHttpHeaders } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Celeriac, TaskContext, TaskStatus, Worker } from '../../src';
import { startRedis } from './redis-server';
import { openSse } from './sse-client';
import { sleep, until, type StatusEnv } from './status-suite';

export interface ServeOptions {
  /** Pass as the integration's `authorize`: true for `x-role: admin`. */
  authorize: (req: { headers: IncomingHttpHeaders }, taskId: string) => boolean;
  heartbeat: number;
  retry: number;
  /** `POST /send/:name` (JSON body) calls this and answers with the integration's 202 helper. */
  send: (name: string, body: unknown) => Promise<{ readonly id: string }>;
}

export interface Served {
  /** `http://127.0.0.1:<port>`; the status routes are under `/tasks`. */
  base: string;
  /** The integration's graceful shutdown, then the server's close. */
  close(): Promise<void>;
}

export type Serve = (app: Celeriac, options: ServeOptions) => Promise<Served>;

const authorize: ServeOptions['authorize'] = (req) => req.headers['x-role'] === 'admin';

/** The suite's send: `{ label }` as the task's argument; `{ big: true }` adds a BigInt, which JSON cannot carry. */
const sendFor =
  (app: Celeriac): ServeOptions['send'] =>
  async (name, body) => {
    const { label, big } = body as { label: string; big?: boolean };
    return app.getTask<unknown[]>(name).applyAsync(big ? [label, 10n] : [label]);
  };

async function post(base: string, path: string, body: unknown) {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

const getJson = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as TaskStatus & { message?: string } };
};

const states = (events: { data: string }[]) => events.map((e) => (JSON.parse(e.data) as TaskStatus).state);

export function describeHttpIntegration(label: string, makeEnv: () => Promise<StatusEnv>, serve: Serve): void {
  describe(`HTTP integration (${label})`, () => {
    let env: StatusEnv;
    let worker: Worker;
    let served: Served;
    let closed = false;
    const gates = new Map<string, () => void>();
    const queue = `http-${randomUUID()}`;

    const atGate = (id: string) => until(`task ${id} at its gate`, () => gates.has(id));
    const release = (id: string) => gates.get(id)!();
    const noSubscription = (id: string) => until(`no subscription left for ${id}`, async () => (await env.subscriptions(id)) === 0, 10_000);

    beforeAll(async () => {
      env = await makeEnv();
      const app = env.app;
      const gated = async (ctx: TaskContext, label: string) => {
        await ctx.updateState({ state: 'PROGRESS', meta: { step: 1 } });
        await new Promise<void>((resolve) => gates.set(ctx.id, resolve));
        gates.delete(ctx.id);
        await ctx.updateState({ state: 'PROGRESS', meta: { step: 2 } });
        return { label, secret: 'only for the allowed' };
      };
      app.task('http.open', gated, { bind: true, public: true, queue });
      app.task('http.private', gated, { bind: true, queue });
      worker = app.worker({ queues: [queue], concurrency: 200 });
      await worker.start();
      served = await serve(app, { authorize, heartbeat: 100, retry: 1_000, send: sendFor(app) });
    });
    afterAll(async () => {
      for (const r of gates.values()) r();
      if (!closed) await served.close();
      await worker.close();
      await env.close();
    });

    test('a route that .delay()s answers 202 { task_id, status_url } with Location; the JSON status route follows it', async () => {
      const r = await post(served.base, '/send/http.open', { label: 'json' });
      expect(r.status).toBe(202);
      const id = r.body.task_id as string;
      expect(r.body).toEqual({ task_id: id, status_url: `/tasks/${id}` });
      expect(r.headers.get('location')).toBe(`/tasks/${id}`);
      await atGate(id);
      expect((await getJson(`${served.base}/tasks/${id}`)).body).toEqual({ task_id: id, state: 'PROGRESS', ready: false, progress: { step: 1 } });
      release(id);
      await until('SUCCESS', async () => (await getJson(`${served.base}/tasks/${id}`)).body.state === 'SUCCESS');
      const done = await getJson(`${served.base}/tasks/${id}`);
      expect(done.headers.get('cache-control')).toBe('no-store');
      expect(done.body).toEqual({ task_id: id, state: 'SUCCESS', ready: true, result: { label: 'json', secret: 'only for the allowed' } });
    });

    test('SSE over HTTP until SUCCESS: a client connecting after PROGRESS sees PROGRESS then SUCCESS, with heartbeats', async () => {
      const { body } = await post(served.base, '/send/http.open', { label: 'sse' });
      const id = body.task_id as string;
      await atGate(id);
      const sse = await openSse(`${served.base}${body.status_url as string}/events`);
      expect(sse.status).toBe(200);
      expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(JSON.parse((await sse.event(0)).data)).toEqual({ task_id: id, state: 'PROGRESS', ready: false, progress: { step: 1 } });
      expect(sse.retry).toBe(1_000);
      expect(await sse.comment(1)).toBe('ping');
      release(id);
      await sse.ended;
      expect(states(sse.events)).toEqual(['PROGRESS', 'PROGRESS', 'SUCCESS']);
      expect(JSON.parse(sse.events.at(-1)!.data)).toMatchObject({ ready: true, result: { label: 'sse' } });
      await noSubscription(id);
    });

    test('a private task reveals neither result nor error, by JSON or SSE, unless authorize allows', async () => {
      const { body } = await post(served.base, '/send/http.private', { label: 'priv' });
      const id = body.task_id as string;
      await atGate(id);
      const anon = await openSse(`${served.base}/tasks/${id}/events`);
      const admin = await openSse(`${served.base}/tasks/${id}/events`, { 'x-role': 'admin' });
      await Promise.all([anon.event(0), admin.event(0)]);
      release(id);
      await Promise.all([anon.ended, admin.ended]);
      expect(JSON.parse(anon.events.at(-1)!.data)).toEqual({ task_id: id, state: 'SUCCESS', ready: true });
      expect(anon.body()).not.toContain('only for the allowed');
      expect(JSON.parse(admin.events.at(-1)!.data)).toMatchObject({ state: 'SUCCESS', result: { label: 'priv' } });
      expect((await getJson(`${served.base}/tasks/${id}`)).body).toEqual({ task_id: id, state: 'SUCCESS', ready: true });
      expect((await getJson(`${served.base}/tasks/${id}`, { 'x-role': 'admin' })).body.result).toEqual({ label: 'priv', secret: 'only for the allowed' });
    });

    test('a reconnect with Last-Event-ID gets only what it missed; after the final event, 204', async () => {
      const { body } = await post(served.base, '/send/http.open', { label: 'resume' });
      const id = body.task_id as string;
      await atGate(id);
      const a = await openSse(`${served.base}/tasks/${id}/events`);
      const seen = await a.event(0);
      a.close();
      const b = await openSse(`${served.base}/tasks/${id}/events`, { 'last-event-id': seen.id! });
      await sleep(150);
      expect(b.events).toEqual([]);
      release(id);
      await b.ended;
      expect(states(b.events)).toEqual(['PROGRESS', 'SUCCESS']);
      expect(b.events.map((e) => e.id!.split('-')[0])).toEqual(['2', '3']);
      const c = await openSse(`${served.base}/tasks/${id}/events`, { 'last-event-id': b.events.at(-1)!.id! });
      await c.ended;
      expect(c.status).toBe(204);
    });

    test('100 SSE clients that disconnect early leave no subscription behind', async () => {
      const { body } = await post(served.base, '/send/http.private', { label: 'crowd' });
      const id = body.task_id as string;
      await atGate(id);
      const clients = await Promise.all(Array.from({ length: 100 }, () => openSse(`${served.base}/tasks/${id}/events`)));
      await Promise.all(clients.map((c) => c.event(0)));
      // NOTE: Redis counts one subscription per channel and connection (listeners share it); memory counts each.
      expect(await env.subscriptions(id)).toBeGreaterThan(0);
      for (const c of clients) c.close();
      await noSubscription(id);
      release(id);
    });

    test('a malformed id is a 400 JSON on both routes; a bad argument a 400; an unknown task a 500 JSON without details', async () => {
      const before = env.lookups?.();
      for (const bad of ['bad id', 'x'.repeat(129), '-lead', '🙂']) {
        const r = await getJson(`${served.base}/tasks/${encodeURIComponent(bad)}`);
        expect(r.status).toBe(400);
        expect(r.body.message).toMatch(/^Malformed task id/);
      }
      const sse = await openSse(`${served.base}/tasks/${encodeURIComponent('no good')}/events`);
      await sse.ended;
      expect(sse.status).toBe(400);
      expect(JSON.parse(sse.body()).message).toMatch(/^Malformed task id/);
      if (before !== undefined) expect(env.lookups!()).toBe(before);
      expect((await getJson(`${served.base}/tasks/${'a'.repeat(128)}`)).body.state).toBe('PENDING');
      const big = await post(served.base, '/send/http.open', { label: 'x', big: true });
      expect(big.status).toBe(400);
      expect(big.body).toMatchObject({ error: 'SerializationError', message: expect.stringContaining('http.open') });
      const unknown = await post(served.base, '/send/http.nope', { label: 'x' });
      expect(unknown.status).toBe(500);
      expect(unknown.body).toEqual({ error: 'NotRegisteredError', message: 'The server could not handle the task.' });
    });

    test('shutdown ends open event streams, so the server closes', async () => {
      const { body } = await post(served.base, '/send/http.open', { label: 'bye' });
      const id = body.task_id as string;
      await atGate(id);
      const sse = await openSse(`${served.base}/tasks/${id}/events`);
      await sse.event(0);
      closed = true;
      await served.close();
      await sse.ended;
      await noSubscription(id);
      release(id);
    });
  });
}

/**
 * With Redis down, the `.delay()` route answers 503 with Retry-After within `brokerConnectionTimeout`, many at
 * once, while the server keeps serving; once Redis is back the route answers 202 again.
 */
export function describeBrokerDown(label: string, makeApp: (url: string) => Celeriac, serve: Serve): void {
  describe(`HTTP integration with Redis down (${label})`, () => {
    test('503 + Retry-After within brokerConnectionTimeout, the server stays up, 202 once Redis is back', async () => {
      const redis = await startRedis({ own: true });
      const app = makeApp(redis.url());
      app.task('down.noop', () => null);
      const served = await serve(app, { authorize, heartbeat: 1_000, retry: 1_000, send: sendFor(app) });
      try {
        expect((await post(served.base, '/send/down.noop', { label: 'up' })).status).toBe(202);
        await redis.kill();
        const timeout = app.settings.brokerConnectionTimeout;
        const started = Date.now();
        let ticks = 0;
        const ticker = setInterval(() => ticks++, 20);
        const answers = await Promise.all(Array.from({ length: 20 }, () => post(served.base, '/send/down.noop', { label: 'down' })));
        clearInterval(ticker);
        const took = Date.now() - started;
        for (const a of answers) {
          expect(a.status).toBe(503);
          expect(a.headers.get('retry-after')).toBe('5');
          expect(a.body).toEqual({ error: 'ServiceUnavailable', message: 'The task queue is unavailable; try again later.' });
        }
        // Bounded by the setting (plus a loaded machine's slack), and the event loop kept turning meanwhile.
        expect(took).toBeLessThan(timeout + 4_000);
        expect(ticks).toBeGreaterThan(took / 20 / 4);
        const status = await getJson(`${served.base}/tasks/${randomUUID()}`);
        expect(status.status).toBe(503);
        expect(status.headers.get('retry-after')).toBe('5');
        await redis.restart();
        await until('202 again', async () => (await post(served.base, '/send/down.noop', { label: 'back' })).status === 202, 15_000);
      } finally {
        await served.close();
        await app.close();
        await redis.stop();
      }
    });
  });
}
