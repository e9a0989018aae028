// The event history on a real redis-server: a worker with task events writes them to a capped stream; any other
// process (another app here) reads the same tasks, finds them by argument values, and follows new ones live.
import { consoleLogger, createApp, EventHistory, type Celeriac } from '../../src';
import { ownRedis } from '../support/own-redis';

const own = ownRedis();
const apps: Celeriac[] = [];

function makeApp(url: string, extra: Parameters<typeof createApp>[1] = {}): Celeriac {
  const app = createApp('hist', { broker: url, logger: consoleLogger('silent'), ...extra });
  app.task('shop.order', (customer: string, total: number) => ({ customer, total }));
  app.task('shop.fail', (why: string) => {
    throw new TypeError(why);
  });
  apps.push(app);
  return app;
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function until(fn: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('event history', () => {
  it('keeps task events (not heartbeats) that another process reads, filters and searches', async () => {
    const url = await own.freshUrl();
    const app = makeApp(url, { taskSendSentEvent: true });
    const worker = app.worker({ sendTaskEvents: true, heartbeatInterval: 50, heartbeatTimeout: 1_000 });
    await worker.start();
    const a = await app.sendTask('shop.order', ['ann@example.com', 30]);
    const b = await app.sendTask('shop.order', ['bob@example.com', 12]);
    const f = await app.sendTask('shop.fail', ['card declined']);
    await a.get({ timeout: 5_000 });
    await b.get({ timeout: 5_000 });
    await expect(f.get({ timeout: 5_000 })).rejects.toThrow('card declined');
    await new Promise((r) => setTimeout(r, 200));
    await worker.close();

    const reader = makeApp(url);
    const history = new EventHistory(reader.broker);
    await until(async () => (await history.tasks()).filter((t) => ['SUCCESS', 'FAILURE'].includes(t.state)).length === 3);
    const events = await history.events();
    expect(events.every((e) => e.event.type.startsWith('task-'))).toBe(true);
    expect(events.map((e) => e.event.type)).toEqual(expect.arrayContaining(['task-sent', 'task-received', 'task-started', 'task-succeeded', 'task-failed']));

    const found = await history.tasks({ search: 'bob@example' });
    expect(found.map((t) => t.id)).toEqual([b.id]);
    expect(found[0]).toMatchObject({ name: 'shop.order', state: 'SUCCESS', args: "('bob@example.com', 12)", worker: worker.hostname, queue: 'celery' });
    expect(found[0]!.result).toBe("{'customer': 'bob@example.com', 'total': 12}");
    expect(found[0]!.timeline.map((t) => t.type)).toEqual(['task-sent', 'task-received', 'task-started', 'task-succeeded']);
    expect((await history.tasks({ search: a.id })).map((t) => t.id)).toEqual([a.id]);
    // NOTE: the exact call is kept in the history only (a dashboard's retry sends it again), never published.
    expect(found[0]!.call).toEqual({ args: ['bob@example.com', 12], kwargs: {} });

    const failed = await history.tasks({ state: 'FAILURE' });
    expect(failed.map((t) => t.id)).toEqual([f.id]);
    expect(failed[0]!.exception).toBe("TypeError('card declined')");
    expect(failed[0]!.traceback).toContain('TypeError: card declined');
    expect((await history.tasks({ name: 'shop.order' })).map((t) => t.id).sort()).toEqual([a.id, b.id].sort());
    expect(await history.tasks({ worker: 'nobody@x' })).toEqual([]);
    expect(await history.tasks({ since: Date.now() + 60_000 })).toEqual([]);
    expect((await history.task(a.id))?.task.state).toBe('SUCCESS');
    expect(await history.task('no-such-id')).toBeNull();
  });

  it('follows new events live, and stays bounded (MAXLEN ~ eventHistoryMax)', async () => {
    const url = await own.freshUrl();
    const app = makeApp(url, { eventHistoryMax: 100 });
    const history = new EventHistory(makeApp(url).broker);
    const start = await history.lastId();
    const worker = app.worker({ sendTaskEvents: true, concurrency: 20 });
    await worker.start();
    const following = history.follow(start, 3_000);
    const first = await app.sendTask('shop.order', ['live', 1]);
    const got = await following;
    expect(got[0]!.event).toMatchObject({ type: 'task-received', uuid: first.id });
    const rs = await Promise.all(Array.from({ length: 300 }, (_, i) => app.sendTask('shop.order', ['many', i])));
    await Promise.all(rs.map((r) => r.get({ timeout: 10_000 })));
    await new Promise((r) => setTimeout(r, 200));
    await worker.close();
    await own.admin.select(Number(new URL(url).pathname.slice(1)));
    const len = await own.admin.xlen('celeriac.events');
    // NOTE: `~` trims whole radix-tree nodes (100 entries by default): about the cap, never the 900 sent.
    expect(len).toBeLessThanOrEqual(200);
    expect(len).toBeGreaterThanOrEqual(100);
  });

  it('with eventHistoryMax 0 nothing is kept (events are still published)', async () => {
    const url = await own.freshUrl();
    const app = makeApp(url, { eventHistoryMax: 0 });
    const worker = app.worker({ sendTaskEvents: true });
    await worker.start();
    await (await app.sendTask('shop.order', ['none', 0])).get({ timeout: 5_000 });
    await worker.close();
    expect(await new EventHistory(app.broker).events()).toEqual([]);
  });
});
