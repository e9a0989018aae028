// The amqp:// chaos suites: a rabbitmq-server and a redis-server of their own, worker processes running the real
// CLI against fixtures/chaos-amqp-tasks.js, and the counting shared with core's chaos suites.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type Redis from 'ioredis';
import { consoleLogger, createApp, type Celeriac } from '@celeriac/core';
import { sleep, type WorkerProcess } from '../../../core/test/faults/chaos-support';
import { startRedis, type RedisServer } from '../../../core/test/support/redis-server';
import { startRabbit, type RabbitServer } from './rabbitmq';

const CLI = join(__dirname, '../../../core/dist/cli/celeriac.js');
const FIXTURE = join(__dirname, '../fixtures/chaos-amqp-tasks.js');

export interface AmqpChaosEnv {
  rabbit: RabbitServer;
  server: RedisServer;
  redis: Redis;
  app: Celeriac;
  /** A worker process on the suite's servers, resolved once the broker lists it (it answers the pidbox ping). */
  startWorker(o: { queue: string; concurrency: number; settings?: Record<string, string> }): Promise<WorkerProcess>;
  readonly workers: Set<WorkerProcess>;
}

export function useAmqpChaosEnv(name: string): AmqpChaosEnv {
  let n = 0;
  const env = { workers: new Set<WorkerProcess>() } as AmqpChaosEnv;
  env.startWorker = async (o) => {
    const envVars: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CELERIAC_')) envVars[k] = v;
    envVars.CELERIAC_BROKER_URL = env.rabbit.url();
    envVars.CELERIAC_RESULT_BACKEND = env.server.url();
    for (const [k, v] of Object.entries(o.settings ?? {})) envVars[`CELERIAC_${k}`] = v;
    const label = `w${++n}`;
    const proc = spawn(process.execPath, [CLI, 'worker', '-A', FIXTURE, '-Q', o.queue, '-c', String(o.concurrency), '-l', 'warn', '-n', `chaos-${label}@amqp`], {
      env: envVars,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const keep = (b: Buffer) => {
      out += b.toString();
      if (out.length > 65_536) out = out.slice(-65_536);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
      proc.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
    });
    const w: WorkerProcess = { proc, pid: proc.pid!, label, output: () => out, exited, alive: () => proc.exitCode === null && proc.signalCode === null };
    env.workers.add(w);
    void exited.then(() => env.workers.delete(w));
    const deadline = Date.now() + 30_000;
    while (!(await env.app.broker.workers()).some((i) => i.pid === w.pid)) {
      if (!w.alive()) throw new Error(`worker ${label} exited before it was ready:\n${out}`);
      if (Date.now() > deadline) throw new Error(`worker ${label} not ready after 30 s:\n${out}`);
      await sleep(100);
    }
    return w;
  };

  beforeAll(async () => {
    [env.rabbit, env.server] = await Promise.all([startRabbit({ own: true }), startRedis({ own: true })]);
    env.redis = env.server.client();
    env.app = createApp(name, { broker: env.rabbit.url(), backend: env.server.url(), logger: consoleLogger('silent') });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(
      [...env.workers].map(async (w) => {
        if (w.alive()) w.proc.kill('SIGKILL');
        await w.exited;
      }),
    );
    await (env.app as Celeriac | undefined)?.close();
    await Promise.all([(env.rabbit as RabbitServer | undefined)?.stop(), (env.server as RedisServer | undefined)?.stop()]);
  }, 60_000);

  return env;
}
