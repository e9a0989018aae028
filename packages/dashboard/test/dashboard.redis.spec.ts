// The dashboard over HTTP on a real Redis: history that survives a restart and is the same in two dashboard
// processes, filters and search, actions and read-only mode, access control, and /metrics.
import { startEnv, until, type Env } from './support/env';

jest.setTimeout(30_000);

let env: Env;
beforeAll(async () => {
  env = await startEnv('dash');
});
afterAll(async () => {
  await env?.close();
});

interface Listed {
  id: string;
  name: string;
  state: string;
  args: string;
  worker: string;
}

interface DeadLetters {
  total: number;
  byQueue: Record<string, number>;
  deadLetters: { n: number; id: string | null; task: string | null; queue: string; reason: string; args?: unknown[] }[];
}

async function get<T>(base: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const r = await fetch(new URL(path, base), { headers });
  const ct = r.headers.get('content-type') ?? '';
  return { status: r.status, body: (ct.includes('json') ? await r.json() : await r.text()) as T };
}

async function post<T>(base: string, path: string, headers: Record<string, string> = { 'x-celeriac-dashboard': '1' }): Promise<{ status: number; body: T }> {
  const r = await fetch(new URL(path, base), { method: 'POST', headers });
  return { status: r.status, body: (await r.json()) as T };
}

describe('dashboard history', () => {
  it('survives a dashboard restart, and two dashboards show the same tasks', async () => {
    const first = await env.dashboard();
    const sent = await Promise.all([1, 2, 3].map((i) => env.app.sendTask('shop.order', [`customer${i}@example.com`, i * 10])));
    await Promise.all(sent.map((r) => r.get({ timeout: 5_000 })));
    const ids = sent.map((r) => r.id).sort();
    const done = async (base: string) => {
      const { body } = await get<{ tasks: Listed[] }>(base, 'api/tasks?name=shop.order&state=SUCCESS');
      const seen = body.tasks.map((t) => t.id).filter((id) => ids.includes(id)).sort();
      return seen.length === 3 ? seen : null;
    };
    expect(await until(() => done(first.base))).toEqual(ids);
    await first.d.close();
    await first.app.close();

    const [again, other] = await Promise.all([env.dashboard(), env.dashboard()]);
    expect(await until(() => done(again.base))).toEqual(ids);
    expect(await until(() => done(other.base))).toEqual(ids);
  });

  it('finds a task by an argument value and by its id, and shows its page', async () => {
    const { base } = await env.dashboard();
    const r = await env.app.sendTask('shop.order', ['needle-in-haystack@example.com', 99]);
    await r.get({ timeout: 5_000 });
    const found = await until(async () => {
      const { body } = await get<{ tasks: Listed[] }>(base, 'api/tasks?search=needle-in-hay');
      return body.tasks.length ? body.tasks : null;
    });
    expect(found.map((t) => t.id)).toEqual([r.id]);
    expect(found[0]).toMatchObject({ name: 'shop.order', args: "('needle-in-haystack@example.com', 99)", worker: 'dash@test' });
    const byId = await get<{ tasks: Listed[] }>(base, `api/tasks?search=${r.id}`);
    expect(byId.body.tasks.map((t) => t.id)).toEqual([r.id]);
    const page = await get<{ task: { result: string; timeline: { type: string }[] }; storedState: string }>(base, `api/tasks/${r.id}`);
    expect(page.body.task.result).toBe("{'customer': 'needle-in-haystack@example.com', 'total': 99}");
    expect(page.body.task.timeline.map((t) => t.type)).toEqual(['task-received', 'task-started', 'task-succeeded']);
    expect(page.body.storedState).toBe('SUCCESS');
    expect((await get(base, 'api/tasks/not a valid id')).status).toBe(400);
    expect((await get(base, 'api/tasks/0b5b4c2e-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await get(base, 'api/tasks?since=yesterday')).status).toBe(400);
  });

  it('retries a failed task with the same arguments, and revokes one', async () => {
    const { base } = await env.dashboard();
    const failed = await env.app.sendTask('shop.flaky_once', ['order-7']);
    await expect(failed.get({ timeout: 5_000 })).rejects.toThrow('payment for order-7 declined');
    await until(async () => (await get<{ tasks: Listed[] }>(base, `api/tasks?search=${failed.id}&state=FAILURE`)).body.tasks.length > 0);
    const retried = await post<{ task_id: string; retry_of: string }>(base, `api/tasks/${failed.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body.retry_of).toBe(failed.id);
    expect(await env.app.asyncResult(retried.body.task_id).get({ timeout: 5_000 })).toBe('paid order-7');
    const notFailed = await post<{ error: string }>(base, `api/tasks/${retried.body.task_id}/retry`);
    expect(notFailed.status).toBe(409);

    const later = await env.app.sendTask('shop.order', ['later', 1], { countdown: 3_000 });
    const revoked = await post<{ ok: boolean }>(base, `api/tasks/${later.id}/revoke`);
    expect(revoked.body.ok).toBe(true);
    await expect(later.get({ timeout: 8_000 })).rejects.toThrow(/revoked/i);
    // NOTE: a cross-site form cannot set the header: without it an action is refused.
    expect((await post(base, `api/tasks/${later.id}/revoke`, {})).status).toBe(403);
  });

  it('lists dead letters per queue and redrives one, which then runs and succeeds', async () => {
    const { base } = await env.dashboard();
    const sent = await env.app.sendTask('shop.reject_once', ['order-42']);
    const letter = await until(async () => {
      const { body } = await get<DeadLetters>(base, 'api/dead-letters');
      return body.deadLetters.find((d) => d.id === sent.id);
    });
    expect(letter).toMatchObject({ queue: 'celery', task: 'shop.reject_once', args: ['order-42'], reason: expect.stringContaining('stock for order-42 not counted yet') });
    const list = (await get<DeadLetters>(base, 'api/dead-letters?queue=celery')).body;
    expect(list.byQueue.celery).toBeGreaterThanOrEqual(1);
    expect((await get<DeadLetters>(base, 'api/dead-letters?queue=elsewhere')).body.deadLetters).toEqual([]);

    expect((await post(base, `api/dead-letters/${sent.id}/redrive`, {})).status).toBe(403);
    const r = await post<{ ok: boolean; task_id: string; queue: string }>(base, `api/dead-letters/${sent.id}/redrive`);
    expect(r).toEqual({ status: 200, body: { ok: true, task_id: sent.id, queue: 'celery', action: 'redrive' } });
    expect(await sent.get({ timeout: 5_000 })).toBe('shipped order-42');
    expect((await get<DeadLetters>(base, 'api/dead-letters')).body.deadLetters.map((d) => d.id)).not.toContain(sent.id);
    // NOTE: already redriven (or never dead-lettered): a clear 404, nothing moved.
    const again = await post<{ error: string }>(base, `api/dead-letters/${sent.id}/redrive`);
    expect(again).toEqual({ status: 404, body: { error: `task ${sent.id} has no dead letter` } });
    expect((await post(base, 'api/dead-letters/not a valid id/redrive')).status).toBe(400);
    expect((await get(base, 'api/dead-letters?limit=0')).status).toBe(400);
    expect((await get(base, `api/dead-letters/${sent.id}/redrive`)).status).toBe(405);
  });

  it('redrives every dead letter at once', async () => {
    const { base } = await env.dashboard();
    const sent = await Promise.all(['a', 'b', 'c'].map((o) => env.app.sendTask('shop.reject_once', [`bulk-${o}`])));
    await until(async () => {
      const { body } = await get<DeadLetters>(base, 'api/dead-letters');
      return sent.every((s) => body.deadLetters.some((d) => d.id === s.id));
    });
    const r = await post<{ redriven: number; remaining: number }>(base, 'api/dead-letters/redrive');
    expect(r.status).toBe(200);
    expect(r.body.redriven).toBeGreaterThanOrEqual(3);
    expect(await Promise.all(sent.map((s) => s.get({ timeout: 5_000 })))).toEqual(['shipped bulk-a', 'shipped bulk-b', 'shipped bulk-c']);
  });

  it('read-only mode refuses the actions', async () => {
    const { base } = await env.dashboard({ readOnly: true });
    const r = await post<{ error: string }>(base, 'api/tasks/0b5b4c2e-0000-4000-8000-000000000000/revoke');
    expect(r).toEqual({ status: 403, body: { error: 'this dashboard is read-only' } });
    expect((await post(base, 'api/dead-letters/0b5b4c2e-0000-4000-8000-000000000000/redrive')).status).toBe(403);
    expect((await post(base, 'api/dead-letters/redrive')).status).toBe(403);
    expect((await get<{ readOnly: boolean }>(base, 'api/overview')).body.readOnly).toBe(true);
  });
});

describe('access control', () => {
  it('with a token: nothing without it or with a wrong one (page, API, metrics), everything with it', async () => {
    const { base } = await env.dashboard({ token: 's3cret-token' });
    for (const path of ['', 'api/tasks', 'api/overview', 'metrics', 'api/stream']) {
      const none = await get<{ error: string }>(base, path);
      expect([path, none.status]).toEqual([path, 401]);
      expect(JSON.stringify(none.body)).not.toContain('shop.order');
      expect((await get(base, path, { authorization: 'Bearer wrong' })).status).toBe(401);
    }
    expect((await get(base, 'api/tasks', { authorization: 'Bearer s3cret-token' })).status).toBe(200);
    // NOTE: ?token= once in a browser: an HttpOnly cookie, and the token leaves the address bar.
    const login = await fetch(new URL('?token=s3cret-token', base), { redirect: 'manual' });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^celeriac_dashboard=s3cret-token; HttpOnly; SameSite=Strict/);
    expect((await get(base, 'api/overview', { cookie: cookie.split(';')[0]! })).status).toBe(200);
  });

  it('with basic auth: the browser is asked, the right credentials pass', async () => {
    const { base } = await env.dashboard({ basicAuth: { username: 'ops', password: 'pw' } });
    const none = await fetch(base);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="celeriac dashboard"/);
    const wrong = 'Basic ' + Buffer.from('ops:nope').toString('base64');
    expect((await get(base, '', { authorization: wrong })).status).toBe(401);
    const right = 'Basic ' + Buffer.from('ops:pw').toString('base64');
    const page = await get<string>(base, '', { authorization: right });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>celeriac dashboard</title>');
  });
});

describe('/metrics', () => {
  it('counts tasks by name and state, with runtimes, queues, workers and dead letters', async () => {
    const { base } = await env.dashboard();
    await new Promise((r) => setTimeout(r, 300));
    const rs = await Promise.all([1, 2, 3, 4].map((i) => env.app.sendTask('shop.order', ['m', i])));
    await Promise.all(rs.map((r) => r.get({ timeout: 5_000 })));
    const text = await until(async () => {
      const { body } = await get<string>(base, 'metrics');
      return /celeriac_tasks_total\{name="shop.order",state="SUCCESS"\} ([4-9]|\d\d)/.test(body) ? body : null;
    });
    expect(text).toMatch(/celeriac_tasks_total\{name="shop.order",state="STARTED"\} ([4-9]|\d\d)/);
    expect(text).toMatch(/celeriac_task_runtime_seconds_count\{name="shop.order"\} ([4-9]|\d\d)/);
    expect(text).toMatch(/celeriac_queue_length\{queue="celery"\} 0/);
    expect(text).toMatch(/celeriac_workers_online 1/);
    expect(text).toMatch(/celeriac_dead_letters 0/);
    expect(text).toMatch(/# TYPE celeriac_task_retries_total counter/);
  });
});
