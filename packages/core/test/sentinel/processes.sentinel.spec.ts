// Sentinel beyond the in-process suites: a master name the sentinels do not know, an ioredis sentinel client handed
// to createApp, and a worker of its own process (the real CLI, the master named in CELERIAC_BROKER_TRANSPORT_OPTIONS) that resumes after a failover.
import Redis from 'ioredis';
import { BrokerError, consoleLogger, createApp, type Celeriac } from '@celeriac/core';
import { ConnectionPool } from '../../src/redis/connection';
import { rejectionOf } from '../support/rejection';
import { CliProcess, assertBuilt } from '../support/cli';
import { startSentinels, type SentinelDeployment } from '../support/sentinel';

let deployment: SentinelDeployment;
let apps: Celeriac[] = [];
let procs: CliProcess[] = [];

beforeAll(async () => {
  assertBuilt();
  deployment = await startSentinels();
}, 60_000);
afterEach(async () => {
  for (const p of procs) {
    p.child.kill('SIGTERM');
    await p.exited;
  }
  await Promise.all(apps.map((a) => a.close()));
  apps = [];
  procs = [];
});
afterAll(async () => {
  await deployment.stop();
});

test('an ioredis sentinel client given as broker: the app copies its sentinels and master, and names them as a sentinel:// URL', async () => {
  const client = new Redis({ sentinels: deployment.sentinelPorts.map((port) => ({ host: '127.0.0.1', port })), name: deployment.masterName, db: 2, lazyConnect: true });
  const app = createApp('adopt', { broker: client, logger: consoleLogger('silent') });
  apps.push(app);
  expect(app.settings.brokerUrl).toBe(deployment.sentinelPorts.map((p) => `sentinel://127.0.0.1:${p}`).join(';') + '/2');
  const add = app.task('s.add', (a: number, b: number) => a + b);
  const worker = app.worker({ concurrency: 2 });
  await worker.start();
  await expect((await add.delay(2, 3)).get({ timeout: 10_000 })).resolves.toBe(5);
  await worker.close();
  expect(client.status).toBe('wait'); // the user's client itself was never used
  client.disconnect();
}, 30_000);

test('a CLI worker on sentinel:// resumes by itself after a failover', async () => {
  const url = deployment.url(3);
  const w = new CliProcess(['worker', '-A', 'cli-app.js', '-b', url, '-c', '4', '-l', 'info'], {
    CELERIAC_BROKER_TRANSPORT_OPTIONS: JSON.stringify({ masterName: deployment.masterName }),
  });
  procs.push(w);
  await w.waitFor(/ready/i, 20_000);
  expect(w.output).not.toMatch(/Error/);
  const app = createApp('cli-sender', { ...deployment.settings(3), brokerConnectionTimeout: 20_000, logger: consoleLogger('silent') });
  apps.push(app);
  const add = app.remoteTask<[number, number], number>('fixture.add');
  await expect((await add.delay(1, 2)).get({ timeout: 10_000 })).resolves.toBe(3);
  await deployment.failover();
  const after = await add.delay(20, 22);
  await expect(after.get({ timeout: 20_000 })).resolves.toBe(42);
  expect(w.child.exitCode).toBeNull();
}, 90_000);

test('sentinels that know no such master: a BrokerError within the connection timeout that says so, password hidden', async () => {
  const url = `sentinel://:pw@127.0.0.1:${deployment.sentinelPorts[0]};sentinel://127.0.0.1:${deployment.sentinelPorts[1]}`;
  const pool = new ConnectionPool(1_000);
  pool.useSentinel(url, { masterName: 'no-such-master' });
  const conn = pool.command(url);
  const err = await rejectionOf(conn.ready(), BrokerError);
  expect(err.message).toMatch(/^Redis at sentinel:\/\/:\*\*\*@127\.0\.0\.1:\d+;sentinel:\/\/127\.0\.0\.1:\d+ is unreachable: no connection within 1000 ms/);
  expect(err.message).toMatch(/\(the sentinels know no master named "no-such-master": /);
  expect(err.message).not.toContain('pw@');
  await pool.releaseCommand(url);
}, 30_000);
