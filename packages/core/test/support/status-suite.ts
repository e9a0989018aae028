// One suite for task status, watch() and the status routes, run on memory:// and on a real redis-server:
// the routes are served by a real http.createServer and read by a real HTTP client.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { createStatusHandler, type Celeriac, type TaskContext, type TaskStatus, type Worker } from '../../src';
import { openSse } from './sse-client';

export interface StatusEnv {
  app: Celeriac;
  /** Live subscriptions to the task's state notifications (memory: listeners; Redis: PUBSUB NUMSUB of its channel). */
  subscriptions(taskId: string): Promise<number>;
  /** Lookups of stored states so far (only where they can be counted), for "no lookup on a malformed id". */
  lookups?(): number;
  close(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function until(what: string, check: () => boolean | Promise<boolean>, timeout = 10_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function describeStatus(label: string, makeEnv: () => Promise<StatusEnv>): void {
  describe(`task status (${label})`, () => {
    let env: StatusEnv;
    let app: Celeriac;
    let worker: Worker;
    let server: http.Server;
    let base: string;
    const gates = new Map<string, (fail?: boolean) => void>();
    const finished: string[] = [];
    const queue = `status-${randomUUID()}`;

    const gated = (name: string, pub: boolean) =>
      app.task(
        name,
        async (ctx: TaskContext, label: string) => {
          await ctx.updateState({ state: 'PROGRESS', meta: { step: 1, of: 2 } });
          const fail = await new Promise<boolean | undefined>((resolve) => gates.set(ctx.id, resolve));
          gates.delete(ctx.id);
          if (fail) throw new RangeError(`bad ${label}`);
          await ctx.updateState({ state: 'PROGRESS', meta: { step: 2, of: 2 } });
          return { label, at: 'done' };
        },
        { bind: true, public: pub, queue },
      );
    let secret: ReturnType<typeof gated>;
    let open: ReturnType<typeof gated>;

    const noSubscription = (id: string) => until(`no subscription left for ${id}`, async () => (await env.subscriptions(id)) === 0, 5_000);
    const atGate = (id: string) => until(`task ${id} at its gate`, () => gates.has(id));
    const release = (id: string, fail = false) => gates.get(id)!(fail);

    beforeAll(async () => {
      env = await makeEnv();
      app = env.app;
      secret = gated('status.secret', false);
      open = gated('status.open', true);
      worker = app.worker({ queues: [queue], concurrency: 200 });
      await worker.start();
      const handler = createStatusHandler<http.IncomingMessage>(app, {
        authorize: async (req) => {
          if (req.headers['x-slow']) await sleep(300);
          return req.headers['x-role'] === 'admin';
        },
        heartbeat: 100,
        retry: 1_500,
      });
      server = http.createServer((req, res) => {
        const m = /^\/tasks\/([^/]*)(\/events)?$/.exec(req.url ?? '');
        if (!m) return void res.writeHead(404).end();
        const id = decodeURIComponent(m[1]!);
        if (m[2]) {
          void handler
            .stream(id, req, res, { lastEventId: req.headers['last-event-id'] })
            .then(() => finished.push(id))
            .catch((err: Error) => res.writeHead(503).end(err.message));
        } else {
          void handler.json(id, req).then((r) => res.writeHead(r.statusCode, r.headers).end(JSON.stringify(r.body)));
        }
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      for (const r of gates.values()) r();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await worker.close();
      await env.close();
    });

    const getJson = async (id: string, headers: Record<string, string> = {}) => {
      const res = await fetch(`${base}/tasks/${encodeURIComponent(id)}`, { headers });
      return { status: res.status, headers: res.headers, body: (await res.json()) as TaskStatus & { message?: string } };
    };

    test('result.status(): PENDING, progress, then the result only when revealed', async () => {
      const unknown = await app.asyncResult(randomUUID()).status();
      expect(unknown).toEqual({ task_id: unknown.task_id, state: 'PENDING', ready: false });
      const res = await secret.delay('a');
      await atGate(res.id);
      expect(await res.status()).toEqual({ task_id: res.id, state: 'PROGRESS', ready: false, progress: { step: 1, of: 2 } });
      release(res.id);
      await res.get({ timeout: 10_000 });
      expect(await res.status()).toEqual({ task_id: res.id, state: 'SUCCESS', ready: true });
      expect(await res.status({ reveal: true })).toEqual({ task_id: res.id, state: 'SUCCESS', ready: true, result: { label: 'a', at: 'done' } });
    });

    test('a failure shows { type, message } when revealed, a traceback only when asked', async () => {
      const res = await secret.delay('b');
      await atGate(res.id);
      release(res.id, true);
      await res.get({ propagate: false, timeout: 10_000 });
      expect(await res.status()).toEqual({ task_id: res.id, state: 'FAILURE', ready: true });
      expect(await res.status({ reveal: true })).toEqual({ task_id: res.id, state: 'FAILURE', ready: true, error: { type: 'ValueError', message: 'bad b' } });
      const withTrace = await res.status({ reveal: { traceback: true } });
      expect(withTrace.error?.traceback).toContain('RangeError: bad b');
    });

    test('watch() yields the current state first to a late watcher (PROGRESS), then each change, and ends when ready', async () => {
      const res = await open.delay('late');
      await atGate(res.id);
      const seen: TaskStatus[] = [];
      const done = (async () => {
        for await (const s of res.watch({ reveal: true })) {
          seen.push(s);
          if (seen.length === 1) release(res.id);
        }
      })();
      await done;
      expect(seen.map((s) => [s.state, s.progress])).toEqual([
        ['PROGRESS', { step: 1, of: 2 }],
        ['PROGRESS', { step: 2, of: 2 }],
        ['SUCCESS', undefined],
      ]);
      expect(seen[2]).toMatchObject({ ready: true, result: { label: 'late', at: 'done' } });
      await noSubscription(res.id);
    });

    test('watch() on a finished task yields its final state once and ends', async () => {
      const res = await open.delay('fin');
      await atGate(res.id);
      release(res.id);
      await res.get({ timeout: 10_000 });
      const seen: string[] = [];
      for await (const s of res.watch()) seen.push(s.state);
      expect(seen).toEqual(['SUCCESS']);
      await noSubscription(res.id);
    });

    test('breaking out of watch() releases the subscription', async () => {
      const res = await secret.delay('brk');
      await atGate(res.id);
      for await (const s of res.watch()) {
        expect(s.state).toBe('PROGRESS');
        expect(await env.subscriptions(res.id)).toBe(1);
        break;
      }
      await noSubscription(res.id);
      release(res.id);
      await res.get({ timeout: 10_000 });
    });

    test('an AbortSignal ends watch() while it waits for a change, and releases the subscription', async () => {
      const res = await secret.delay('abort');
      await atGate(res.id);
      const ctl = new AbortController();
      const seen: string[] = [];
      const done = (async () => {
        for await (const s of res.watch({ signal: ctl.signal })) seen.push(s.state);
      })();
      await until('first state', () => seen.length === 1);
      ctl.abort();
      await done;
      expect(seen).toEqual(['PROGRESS']);
      await noSubscription(res.id);
      release(res.id);
      await res.get({ timeout: 10_000 });
    });

    test('many concurrent watchers (one connection) all see every change; none is left subscribed', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => open.delay(`m${i}`)));
      await Promise.all(results.map((r) => atGate(r.id)));
      let started = 0;
      const runs = results.flatMap((r) =>
        Array.from({ length: 10 }, async () => {
          const states: string[] = [];
          for await (const s of r.watch()) if (states.push(s.state) === 1) started++;
          return states;
        }),
      );
      await until('every watcher has its first state', () => started === 100);
      for (const r of results) release(r.id);
      for (const states of await Promise.all(runs)) {
        expect(states[0]).toBe('PROGRESS');
        expect(states[states.length - 1]).toBe('SUCCESS');
      }
      for (const r of results) await noSubscription(r.id);
    });

    test('GET /tasks/:id: 400 JSON for a malformed id, without a lookup', async () => {
      const before = env.lookups?.();
      for (const bad of ['bad id', 'x'.repeat(129), '-lead', 'a/b', '🙂']) {
        const r = await getJson(bad);
        expect(r.status).toBe(400);
        expect(r.body.message).toMatch(/^Malformed task id/);
      }
      const sse = await openSse(`${base}/tasks/${encodeURIComponent('no good')}/events`);
      await sse.ended;
      expect(sse.status).toBe(400);
      expect(JSON.parse(sse.body())).toEqual({ message: expect.stringMatching(/^Malformed task id/) });
      if (before !== undefined) expect(env.lookups!()).toBe(before);
      expect((await getJson('custom-id_1.2:3@x')).body.state).toBe('PENDING');
    });

    test('GET /tasks/:id reveals results of public tasks, and of private ones only where authorize allows', async () => {
      const pub = await open.delay('p');
      const priv = await secret.delay('q');
      await Promise.all([atGate(pub.id), atGate(priv.id)]);
      const progress = await getJson(priv.id);
      expect(progress.status).toBe(200);
      expect(progress.headers.get('cache-control')).toBe('no-store');
      expect(progress.body).toEqual({ task_id: priv.id, state: 'PROGRESS', ready: false, progress: { step: 1, of: 2 } });
      release(pub.id);
      release(priv.id);
      await Promise.all([pub.get({ timeout: 10_000 }), priv.get({ timeout: 10_000 })]);
      expect((await getJson(pub.id)).body).toEqual({ task_id: pub.id, state: 'SUCCESS', ready: true, result: { label: 'p', at: 'done' } });
      expect((await getJson(priv.id)).body).toEqual({ task_id: priv.id, state: 'SUCCESS', ready: true });
      expect((await getJson(priv.id, { 'x-role': 'admin' })).body).toEqual({ task_id: priv.id, state: 'SUCCESS', ready: true, result: { label: 'q', at: 'done' } });
    });

    test('SSE: headers, retry hint, the current state at once (late client sees PROGRESS), every change, ids, heartbeats, end when ready', async () => {
      const res = await open.delay('sse');
      await atGate(res.id);
      const sse = await openSse(`${base}/tasks/${res.id}/events`);
      expect(sse.status).toBe(200);
      expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(sse.headers['cache-control']).toMatch(/no-cache/);
      expect(sse.headers['x-accel-buffering']).toBe('no');
      const first = await sse.event(0);
      expect(sse.retry).toBe(1_500);
      expect(first.event).toBe('status');
      expect(JSON.parse(first.data)).toEqual({ task_id: res.id, state: 'PROGRESS', ready: false, progress: { step: 1, of: 2 } });
      await sse.comment(2);
      expect(sse.comments.slice(0, 2)).toEqual(['ping', 'ping']);
      release(res.id);
      await sse.ended;
      const states = sse.events.map((e) => JSON.parse(e.data) as TaskStatus);
      expect(states.map((s) => s.state)).toEqual(['PROGRESS', 'PROGRESS', 'SUCCESS']);
      expect(states[2]).toEqual({ task_id: res.id, state: 'SUCCESS', ready: true, result: { label: 'sse', at: 'done' } });
      const seqs = sse.events.map((e) => Number(e.id!.split('-')[0]));
      expect(seqs).toEqual([1, 2, 3]);
      await noSubscription(res.id);
    });

    test('SSE: a private task streams state and progress only, unless authorized', async () => {
      const res = await secret.delay('sse-priv');
      await atGate(res.id);
      const anon = await openSse(`${base}/tasks/${res.id}/events`);
      const admin = await openSse(`${base}/tasks/${res.id}/events`, { 'x-role': 'admin' });
      await Promise.all([anon.event(0), admin.event(0)]);
      release(res.id);
      await Promise.all([anon.ended, admin.ended]);
      expect(JSON.parse(anon.events.at(-1)!.data)).toEqual({ task_id: res.id, state: 'SUCCESS', ready: true });
      expect(JSON.parse(admin.events.at(-1)!.data)).toMatchObject({ state: 'SUCCESS', result: { label: 'sse-priv', at: 'done' } });
    });

    test('SSE: a client that goes away releases the subscription', async () => {
      const res = await secret.delay('gone');
      await atGate(res.id);
      const clients = await Promise.all(Array.from({ length: 20 }, () => openSse(`${base}/tasks/${res.id}/events`)));
      await Promise.all(clients.map((c) => c.event(0)));
      expect(await env.subscriptions(res.id)).toBeGreaterThan(0);
      for (const c of clients) c.close();
      await noSubscription(res.id);
      release(res.id);
      await res.get({ timeout: 10_000 });
    });

    test('SSE: a client that leaves while authorize runs ends the stream at once, with no subscription', async () => {
      const res = await secret.delay('early');
      await atGate(res.id);
      const c = await new Promise<http.ClientRequest>((resolve) => {
        const req = http.get(`${base}/tasks/${res.id}/events`, { headers: { 'x-slow': '1' } });
        req.on('error', () => undefined);
        setTimeout(() => resolve(req), 50);
      });
      c.destroy();
      await until('the stream handler to finish', () => finished.includes(res.id));
      await noSubscription(res.id);
      release(res.id);
      await res.get({ timeout: 10_000 });
    });

    test('SSE: Last-Event-ID resumes without the events already seen, always with the current state; 204 after the end', async () => {
      const res = await open.delay('resume');
      await atGate(res.id);
      const a = await openSse(`${base}/tasks/${res.id}/events`);
      const seen = await a.event(0);
      a.close();
      // Reconnect with nothing new: the PROGRESS the client has is not sent again; the next change comes with a later id.
      const b = await openSse(`${base}/tasks/${res.id}/events`, { 'last-event-id': seen.id! });
      await sleep(150);
      expect(b.events).toEqual([]);
      release(res.id);
      await b.ended;
      const statesB = b.events.map((e) => JSON.parse(e.data) as TaskStatus);
      expect(statesB.map((s) => s.state)).toEqual(['PROGRESS', 'SUCCESS']);
      expect(b.events.map((e) => Number(e.id!.split('-')[0]))).toEqual([2, 3]);
      // A client that missed changes gets the current state at once.
      const c = await openSse(`${base}/tasks/${res.id}/events`, { 'last-event-id': seen.id! });
      await c.ended;
      expect(c.events.map((e) => JSON.parse(e.data).state)).toEqual(['SUCCESS']);
      expect(c.events[0]!.id!.startsWith('2-')).toBe(true);
      // A browser reconnecting after the final event is told to stop.
      const d = await openSse(`${base}/tasks/${res.id}/events`, { 'last-event-id': b.events.at(-1)!.id! });
      await d.ended;
      expect(d.status).toBe(204);
      // A garbled Last-Event-ID is a fresh start.
      const e = await openSse(`${base}/tasks/${res.id}/events`, { 'last-event-id': 'nonsense' });
      await e.ended;
      expect(e.events.map((x) => [x.id!.split('-')[0], JSON.parse(x.data).state])).toEqual([['1', 'SUCCESS']]);
    });
  });
}
