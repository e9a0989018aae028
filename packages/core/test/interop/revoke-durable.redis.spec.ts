// A revoke sent from Python (Celery's pidbox broadcast) outlives the celeriac workers that heard it.
import { randomUUID } from 'node:crypto';
import { TaskRevokedError, type Celeriac, type Worker } from '../../src';
import { startRedis, type RedisServer } from '../support/redis-server';
import { createInteropApp, eventually, runPy, type PyOutcome, type Records } from './support';

jest.setTimeout(60_000);

let redis: RedisServer;
let url: string;
const apps: Celeriac[] = [];
const workers: Worker[] = [];

beforeAll(async () => {
  redis = await startRedis({ own: true });
  url = redis.url(3); // the pidbox channel is per database: not 0, to prove the right one is used
});
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close({ timeout: 500 })));
  await Promise.all(apps.map((a) => a.close()));
  await redis?.stop();
});

/** A celeriac worker process of its own: a new app (nothing shared in memory) and its worker on queue `node`. */
async function startNodeWorker(): Promise<{ app: Celeriac; records: Records; worker: Worker }> {
  const { app, records } = createInteropApp(url);
  apps.push(app);
  const worker = app.worker({ queues: ['node'], concurrency: 2 });
  workers.push(worker);
  await worker.start();
  return { app, records, worker };
}

test('Python sends a countdown task and revokes it; a celeriac worker restarted before the countdown stores REVOKED and never runs it', async () => {
  const admin = redis.client();
  await admin.select(3);
  const first = await startNodeWorker();
  const key = `revoked.${randomUUID()}`;
  const countdown = 8;

  const sent = await runPy<{ id: string; sent_at: number }>(url, { scenario: 'send_revoke', task: 'node.record', args: [key, 'ran'], options: { countdown } });
  const due = sent.sent_at * 1000 + countdown * 1000;

  // The worker that heard the broadcast stored the revocation, with an expiry, beside celeriac's own ones.
  await eventually(async () => (await admin.zscore('celeriac.revoked', sent.id)) !== null, 5_000, 'the revoke to be stored');
  expect(Number(await admin.zscore('celeriac.revoked', sent.id))).toBeGreaterThan(Date.now());
  // The message is parked in the delayed set (due in seconds), not held in the first worker's memory.
  await eventually(async () => (await admin.zcard('celeriac.delayed')) === 1, 5_000, 'the task to be parked');

  // "Restart": the first worker goes away; a new one, with nothing in memory, starts before the task is due.
  await first.worker.close();
  const second = await startNodeWorker();
  const discarded: string[] = [];
  second.worker.on('revoked', (e) => void discarded.push(e.taskId));
  const restartedAt = Date.now();

  await expect(second.app.asyncResult(sent.id).get({ timeout: 30_000 })).rejects.toThrow(TaskRevokedError);
  expect(restartedAt).toBeLessThan(due); // otherwise this test proved nothing about a restart
  const out = await runPy<{ results: PyOutcome[] }>(url, { scenario: 'get', ids: [sent.id] });
  expect(out.results[0]).toMatchObject({ ok: false, exc_type: 'TaskRevokedError', exc_args: ['revoked'], state: 'REVOKED' });
  expect(discarded).toEqual([sent.id]);
  expect(first.records.get(key)).toBeUndefined();
  expect(second.records.get(key)).toBeUndefined();
  expect(await second.app.asyncResult(sent.id).state()).toBe('REVOKED');
});
