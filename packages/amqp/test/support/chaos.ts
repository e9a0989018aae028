// The amqp:// chaos suites: a rabbitmq-server and a redis-server of their own, worker processes running the real
// CLI against core's chaos fixture (it records runs in the result backend's Redis), and core's counting.
import type Redis from 'ioredis';
import { consoleLogger, createApp, type Celeriac } from '@celeriac/core';
import { sleep, WorkerProcesses, type WorkerProcess } from '../../../core/test/faults/chaos-support';
import { startRedis, type RedisServer } from '../../../core/test/support/redis-server';
import { startRabbit, type RabbitServer } from './rabbitmq';

export interface AmqpChaosEnv {
  rabbit: RabbitServer;
  server: RedisServer;
  redis: Redis;
  app: Celeriac;
  /** A worker process on the suite's servers, resolved once the broker lists it (it answers the pidbox ping). */
  startWorker(o: { queue: string; concurrency: number; settings?: Record<string, string> }): Promise<WorkerProcess>;
}

export function useAmqpChaosEnv(name: string): AmqpChaosEnv {
  const workers = new WorkerProcesses();
  const env = {} as AmqpChaosEnv;
  env.startWorker = async (o) => {
    const w = workers.spawn({ url: env.rabbit.url(), queue: o.queue, concurrency: o.concurrency, settings: { RESULT_BACKEND: env.server.url(), ...o.settings } });
    const deadline = Date.now() + 30_000;
    while (!(await env.app.broker.workers()).some((i) => i.pid === w.pid)) {
      if (!w.alive()) throw new Error(`worker ${w.label} exited before it was ready:\n${w.output()}`);
      if (Date.now() > deadline) throw new Error(`worker ${w.label} not ready after 30 s:\n${w.output()}`);
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
    await workers.killAll();
    await (env.app as Celeriac | undefined)?.close();
    await Promise.all([(env.rabbit as RabbitServer | undefined)?.stop(), (env.server as RedisServer | undefined)?.stop()]);
  }, 60_000);

  return env;
}
