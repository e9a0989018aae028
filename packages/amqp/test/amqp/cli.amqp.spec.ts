// The `celeriac` CLI on RabbitMQ, as users run it: a worker process, call, result, status, queues, purge.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { assertBuilt, CLI, runCli } from '../../../core/test/support/cli';
import { startServers, type Servers } from '../support/targets';

jest.setTimeout(90_000);

const FIXTURE = join(__dirname, '../fixtures/cli-amqp.js');
let servers: Servers;
let env: NodeJS.ProcessEnv;
let worker: ChildProcess | null = null;

beforeAll(async () => {
  assertBuilt();
  servers = await startServers(1);
  const { amqp, redis } = await servers.fresh();
  env = { CELERIAC_BROKER_URL: amqp, CELERIAC_RESULT_BACKEND: redis };
});

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    const exited = new Promise((r) => worker!.once('exit', r));
    worker.kill('SIGKILL');
    await exited;
  }
  await servers?.stop();
});

const cli = (...args: string[]) => runCli([...args, '-A', FIXTURE], env);

test('call, queues and purge before a worker; then a worker runs what waits, status lists it, result reads it', async () => {
  const call = await cli('call', 'fixture.add', '--args', '[2, 3]');
  expect(call.code).toBe(0);
  const id = call.stdout.trim().split(/\s+/).pop()!;
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  await cli('call', 'fixture.add', '--args', '[1, 1]', '-Q', 'spare');

  const queues = await cli('queues', '--json');
  expect(queues.code).toBe(0);
  expect(JSON.parse(queues.stdout)).toMatchObject({ queues: { celery: 1 }, delayed: 0, deadLetters: 0, workers: [] });
  // RabbitMQ lists no queues over AMQP: a queue nobody here uses is named with -Q.
  const spare = await cli('queues', '--json', '-Q', 'spare');
  expect(JSON.parse(spare.stdout)).toMatchObject({ queues: { spare: 1 } });

  const purge = await cli('purge', '-Q', 'spare', '-f');
  expect(purge.code).toBe(0);
  expect(purge.stdout).toMatch(/1/);

  worker = spawn(process.execPath, [CLI, 'worker', '-A', FIXTURE, '-c', '2', '-l', 'info', '-n', 'cli@amqp'], { env: { ...process.env, ...env, NO_COLOR: '1' } });
  let out = '';
  worker.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  worker.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const deadline = Date.now() + 30_000;
  let result = await cli('result', id);
  while (!/\b5\b/.test(result.stdout) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    result = await cli('result', id);
  }
  expect(result.stdout).toMatch(/\b5\b/);
  expect(out).toMatch(/transport:\s+amqp:\/\/guest:\*\*\*@/);

  const status = await cli('status');
  expect(status.code).toBe(0);
  expect(status.stdout).toContain('cli@amqp');

  const exited = new Promise<number | null>((r) => worker!.once('exit', (code) => r(code)));
  worker.kill('SIGTERM');
  expect(await exited).toBe(0);
});
