// Redis (AOF, appendfsync always) SIGKILLed under load from 8 producers and 3 worker processes, down for
// 5 s, restarted: every .delay() that resolved completes; the ones during the outage reject with a
// BrokerError naming the URL within brokerConnectionTimeout; the workers resume without a restart.
import type Redis from 'ioredis';
import { createApp, type Celeriac } from '@celeriac/core';
import { startRedis, type RedisServer } from '../support/redis-server';
import { WorkerProcesses } from '../faults/chaos-support';
import { runRestartScenario } from '../faults/restart-scenario';

describe('chaos: Redis killed and restarted mid-run', () => {
  let server: RedisServer;
  let redis: Redis;
  let app: Celeriac;
  const workers = new WorkerProcesses();

  beforeAll(async () => {
    server = await startRedis({ appendonly: true });
    redis = server.client();
  });

  afterAll(async () => {
    await workers.killAll();
    await app?.close();
    await server?.stop();
  });

  it('loses no task whose .delay() resolved; workers resume by themselves', async () => {
    app = createApp('chaos-restart', { broker: server.url(), brokerConnectionTimeout: 2_000 });
    await runRestartScenario({
      name: 'chaos/redis-restart',
      server,
      redis,
      app,
      workers,
      workerCount: 3,
      producers: 8,
      before: 3_000,
      outage: 5_000,
      after: 3_000,
      connectionTimeout: 2_000,
    });
  }, 90_000);
});
