// Redis not running at all: every call fails within its bound with an error naming the URL, the
// password replaced by ***; nothing hangs. The worker CLI exits with that error.
import { spawn } from 'node:child_process';
import { BackendError, BrokerError, createApp, type Celeriac } from '@celeriac/core';
import { freePort } from '../support/redis-server';
import { CLI, FIXTURE, report } from './chaos-support';

const TIMEOUT = 1_000;
const SLACK = 1_000;

async function timed<T>(p: Promise<T>): Promise<{ ms: number; error: unknown }> {
  const t0 = Date.now();
  try {
    await p;
    return { ms: Date.now() - t0, error: null };
  } catch (error) {
    return { ms: Date.now() - t0, error };
  }
}

describe('Redis not running', () => {
  let port: number;
  let url: string;
  let app: Celeriac;

  beforeAll(async () => {
    port = await freePort(); // nothing listens there
    url = `redis://:s3cret-pw@127.0.0.1:${port}/0`;
    app = createApp('faults-down', { broker: url, brokerConnectionTimeout: TIMEOUT });
  });

  afterAll(async () => {
    await app?.close();
  });

  it('.delay() rejects within brokerConnectionTimeout with a BrokerError naming the URL, password hidden', async () => {
    const calls = await Promise.all(Array.from({ length: 20 }, () => timed(app.sendTask('chaos.work', ['x', 0]))));
    report('faults/redis-down delay', { calls: calls.length, rejected: calls.filter((c) => c.error).length, slowestMs: Math.max(...calls.map((c) => c.ms)) });
    for (const { ms, error } of calls) {
      expect(error).toBeInstanceOf(BrokerError);
      const message = (error as Error).message;
      expect(message).toContain(`redis://:***@127.0.0.1:${port}/0`);
      expect(message).not.toContain('s3cret-pw');
      expect(ms).toBeLessThan(TIMEOUT + SLACK);
    }
  });

  it('result.get({ timeout }) and state() reject within their bounds', async () => {
    const res = app.asyncResult('00000000-0000-4000-8000-000000000000');
    const got = await timed(res.get({ timeout: 1_500 }));
    const state = await timed(res.state());
    report('faults/redis-down get', { getMs: got.ms, stateMs: state.ms });
    expect(got.error).toBeInstanceOf(Error);
    expect(got.ms).toBeLessThan(1_500 + SLACK);
    expect((got.error as Error).message).not.toContain('s3cret-pw');
    // the result backend's failures are BackendErrors, the connection's BrokerError as their cause
    expect(state.error).toBeInstanceOf(BackendError);
    expect((state.error as BackendError).cause).toBeInstanceOf(BrokerError);
    expect((state.error as Error).message).toContain(`redis://:***@127.0.0.1:${port}/0`);
    expect(state.ms).toBeLessThan(TIMEOUT + SLACK);
  });

  it('worker.start() rejects within the bound; app.close() returns', async () => {
    const other = createApp('faults-down-worker', { broker: url, brokerConnectionTimeout: TIMEOUT });
    other.task('chaos.work', () => null);
    const started = await timed(other.worker({ queues: ['faults.down'] }).start());
    const closed = await timed(other.close());
    report('faults/redis-down worker', { startMs: started.ms, closeMs: closed.ms });
    expect(started.error).toBeInstanceOf(BrokerError);
    expect((started.error as Error).message).toContain('***');
    expect(started.ms).toBeLessThan(TIMEOUT + SLACK);
    expect(closed.error).toBeNull();
    expect(closed.ms).toBeLessThan(SLACK);
  });

  it('the worker CLI exits non-zero with the redacted URL', async () => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CELERIAC_')) env[k] = v;
    Object.assign(env, { CELERIAC_BROKER_URL: url, CELERIAC_BROKER_CONNECTION_TIMEOUT: String(TIMEOUT) });
    const t0 = Date.now();
    const proc = spawn(process.execPath, [CLI, 'worker', '-A', FIXTURE, '-Q', 'faults.down', '-l', 'warn'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (b: Buffer) => (out += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    const code = await new Promise<number | null>((resolve) => proc.once('exit', (c) => resolve(c)));
    clearTimeout(killer);
    const ms = Date.now() - t0;
    report('faults/redis-down cli', { exitCode: String(code), exitMs: ms });
    expect(code).toBe(1);
    expect(out).toContain(`redis://:***@127.0.0.1:${port}/0`);
    expect(out).not.toContain('s3cret-pw');
    expect(ms).toBeLessThan(TIMEOUT + 5_000);
  }, 20_000);
});
