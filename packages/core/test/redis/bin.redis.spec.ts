// `node_modules/.bin/celeriac worker`: the bin runs the worker in its own process (no child), so SIGTERM sent to
// the bin's pid is a warm shutdown: the running task finishes and stores its result, then the process exits 0.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { consoleLogger, createApp, type Celeriac } from '../../src';
import { startRedis, type RedisServer } from '../support/redis-server';

const ROOT = resolve(__dirname, '../../../..');
const BIN = join(ROOT, 'node_modules/.bin/celeriac');
const FIXTURE = join(__dirname, '../fixtures/chaos-tasks.js');

let redis: RedisServer;
let app: Celeriac;

beforeAll(async () => {
  // NOTE: a server of our own: the fixture's tasks write `chaos.runs`.
  redis = await startRedis({ own: true });
  app = createApp('bin-test', { broker: redis.url(), logger: consoleLogger('silent') });
});
afterAll(async () => {
  await app.close();
  await redis.stop();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('SIGTERM to the bin pid stops the worker warm: the running task completes, exit code 0', async () => {
  const queue = 'bin.warm';
  const proc = spawn(BIN, ['worker', '-A', FIXTURE, '-Q', queue, '-c', '1', '-l', 'info'], {
    cwd: ROOT,
    env: { ...process.env, CELERIAC_BROKER_URL: redis.url() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (b: Buffer) => (output += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  try {
    // The worker registered itself under the bin's own pid: no child process in between.
    await until('the worker to register', async () => (await app.broker.workers()).find((w) => w.pid === proc.pid && w.queues.includes(queue)));
    const res = await app.sendTask('chaos.work', ['warm', 1_500], { queue });
    await until('the task to start', async () => ((await res.state()) === 'STARTED' ? true : undefined));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await res.get({ timeout: 1_000 })).toBe('warm');
    expect(output).toContain('warm shutdown');
    expect((await app.broker.workers()).filter((w) => w.pid === proc.pid)).toEqual([]);
  } finally {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
});
