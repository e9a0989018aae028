// The LISTEN connection can be behind: a state committed before a watcher subscribed may still sit unread in that
// connection's socket while the watcher reads the row on another connection. subscribe() therefore resolves only
// once everything committed before it has been heard, so the watcher's read is the newest and the late
// notifications are dropped as older (before, a watch on a busy process showed STARTED after PROGRESS).
import { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { consoleLogger, createApp, type Celeriac, type ResultMeta } from '@celeriac/core';
import { ResultListener } from '../../src/listener';
import { rowToMeta } from '../../src/rows';
import { startPostgres, type PgServer } from '../support/pg-server';

jest.setTimeout(60_000);

let pg: PgServer;
let app: Celeriac;
let url: string;
const meta = (taskId: string, status: string, result: unknown): ResultMeta =>
  ({ status, result, traceback: null, children: [], date_done: null, task_id: taskId }) as ResultMeta;

beforeAll(async () => {
  pg = await startPostgres();
  url = await pg.createDatabase();
  app = createApp(`order-${randomUUID().slice(0, 6)}`, { backend: `db+${url}`, logger: consoleLogger('silent') });
  await app.backend.store(meta(randomUUID(), 'SUCCESS', 1), 60_000); // creates the schema and its NOTIFY trigger
});
afterAll(async () => {
  await app?.close();
  await pg?.stop();
});

test('subscribe() resolves only after the states stored before it have been heard', async () => {
  const socket = new Socket();
  const listener = new ResultListener({
    config: { connectionString: url, stream: () => socket },
    logger: consoleLogger('silent'),
    url: 'test',
    decode: (p) =>
      rowToMeta(
        { task_id: String(p.task_id), status: String(p.status), result: typeof p.result === 'string' ? Buffer.from(p.result, 'base64') : null, traceback: null, date_done: null, name: null },
        () => undefined,
      ),
    read: async (ids) => (await Promise.all(ids.map((id) => app.backend.get(id)))).filter((m): m is ResultMeta => m !== null),
    deliver: (l, m) => l(m),
  });
  try {
    await listener.subscribe('keeps-the-connection-listening', () => undefined);
    const id = randomUUID();
    // The LISTEN connection falls behind: what the server sends it stays unread until resumed.
    socket.pause();
    await app.backend.store(meta(id, 'STARTED', { pid: 1 }), 60_000);
    await app.backend.store(meta(id, 'PROGRESS', { step: 1 }), 60_000);
    const heard: string[] = [];
    const resume = setTimeout(() => socket.resume(), 300);
    await listener.subscribe(id, (m) => heard.push(m.status));
    clearTimeout(resume);
    socket.resume();
    // A read now returns PROGRESS; what it heard so far is everything up to that state, nothing comes later.
    expect(heard).toEqual(['STARTED', 'PROGRESS']);
    expect((await app.backend.get(id))?.status).toBe('PROGRESS');
  } finally {
    await listener.close();
  }
});
