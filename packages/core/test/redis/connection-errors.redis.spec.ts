// Redis refusals no retry can cure fail at once with what is wrong, instead of "unreachable" after the
// connection timeout (or, for a database the server lacks, instead of quietly using database 0).
import { BrokerError, consoleLogger, createApp, type Celeriac } from '../../src';
import { startRedis, type RedisServer } from '../support/redis-server';
import { rejectionOf } from '../support/rejection';

let plain: RedisServer;
let secured: RedisServer;
const apps: Celeriac[] = [];

beforeAll(async () => {
  [plain, secured] = await Promise.all([startRedis({ own: true }), startRedis({ password: 'pa55' })]);
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});
afterAll(async () => {
  await Promise.all([plain.stop(), secured.stop()]);
});

function appOn(url: string): Celeriac {
  // NOTE: a long connection timeout: a refusal must not wait for it (a test that did would time out).
  const app = createApp('refusals', { broker: url, logger: consoleLogger('silent'), brokerConnectionTimeout: 60_000 });
  apps.push(app);
  return app;
}

const failure = (p: Promise<unknown>): Promise<Error> => rejectionOf(p, Error);

test('a database number the server does not have: .delay() rejects, nothing is written to database 0', async () => {
  const app = appOn(plain.url(99));
  const err = await failure(app.sendTask('any.task', [1]));
  expect(err).toBeInstanceOf(BrokerError);
  expect(err.message).toBe(`Redis at ${plain.url(99)} has no database 99 (ERR DB index is out of range); the server's \`databases\` setting is lower`);
  expect(await plain.client().dbsize()).toBe(0);
  // and a worker does not start on it
  const worker = app.worker();
  await expect(worker.start()).rejects.toThrow('has no database 99');
});

test('a wrong password: rejects with WRONGPASS, the password hidden', async () => {
  const url = `redis://:not-it@127.0.0.1:${secured.port}/0`;
  const err = await failure(appOn(url).sendTask('any.task'));
  expect(err).toBeInstanceOf(BrokerError);
  expect(err.message).toMatch(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 refused the password \(WRONGPASS .*\); check the password in the URL$/);
  expect(err.message).not.toContain('not-it');
});

test('no password: rejects with NOAUTH; a worker does not start', async () => {
  const app = appOn(`redis://127.0.0.1:${secured.port}/0`);
  const err = await failure(app.broker.queueLength('celery'));
  expect(err.message).toMatch(/requires a password \(NOAUTH .*\); give it in the URL: redis:\/\/:password@host:port\/db$/);
  await expect(app.worker().start()).rejects.toThrow(/requires a password/);
});

test('the right password works', async () => {
  const app = appOn(secured.url(0));
  await app.sendTask('any.task');
  expect(await app.broker.queueLength('celery')).toBe(1);
});
