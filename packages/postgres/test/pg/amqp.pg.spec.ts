// Broker RabbitMQ, results in PostgreSQL: a worker on amqp:// stores into the Postgres table, get() and watch() wake
// on its NOTIFY, and core's status handler (what every integration serves) reads it, unchanged.
import { randomUUID } from 'node:crypto';
import { consoleLogger, createApp, createStatusHandler, TaskError, type Celeriac, type TaskStatus, type Worker } from '@celeriac/core';
import { startRabbit, type RabbitServer } from '../../../amqp/test/support/rabbitmq';
import { startPostgres, type PgServer } from '../support/pg-server';

jest.setTimeout(90_000);

let rabbit: RabbitServer;
let pg: PgServer;
let app: Celeriac;
let worker: Worker;
const queue = `amqp-pg-${randomUUID()}`;

beforeAll(async () => {
  [rabbit, pg] = await Promise.all([startRabbit(), startPostgres()]);
  app = createApp('amqp-pg', { broker: rabbit.url(), backend: `db+${await pg.createDatabase()}`, logger: consoleLogger('silent') });
  worker = app.worker({ queues: [queue], concurrency: 4 });
});
afterAll(async () => {
  await worker?.close();
  await app?.close();
  await Promise.all([rabbit?.stop(), pg?.stop()]);
});

test('a task sent over RabbitMQ: its result and its failure come back through PostgreSQL; status and watch() read them', async () => {
  const add = app.task('ap.add', async (a: number, b: number) => a + b, { queue, public: true });
  const fail = app.task('ap.fail', async (why: string) => {
    throw new RangeError(why);
  }, { queue });
  await worker.start();

  const sum = await add.delay(2, 3);
  const seen: string[] = [];
  for await (const s of sum.watch({ reveal: true })) seen.push(s.state);
  expect(seen.at(-1)).toBe('SUCCESS');
  expect(await sum.get({ timeout: 20_000 })).toBe(5);

  const failed = await fail.delay('no luck');
  await expect(failed.get({ timeout: 20_000 })).rejects.toBeInstanceOf(TaskError);

  const status = createStatusHandler<object>(app);
  const ok = await status.json(sum.id, {});
  expect(ok.statusCode).toBe(200);
  expect(ok.body).toEqual({ task_id: sum.id, state: 'SUCCESS', ready: true, result: 5 });
  const bad = (await status.json(failed.id, {})).body as TaskStatus;
  expect(bad).toMatchObject({ task_id: failed.id, state: 'FAILURE', ready: true });
  expect(bad).not.toHaveProperty('error'); // not public, no authorize: state only
});
