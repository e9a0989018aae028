// Redis (AOF, appendfsync always) killed and restarted under load: every .delay() that resolved completes;
// a .delay() during the outage rejects with a BrokerError naming the URL within brokerConnectionTimeout
// (or succeeds after the reconnect); the worker process resumes without a restart.
import type Redis from 'ioredis';
import { createApp, type Celeriac } from '@celeriac/core';
import { startRedis, type RedisServer } from '../support/redis-server';
import { runRestartScenario } from './restart-scenario';
import { WorkerProcesses } from './chaos-support';

describe('Redis restarted mid-run', () => {
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

  it('loses no task whose .delay() resolved; the worker resumes by itself', async () => {
    app = createApp('faults-restart', { broker: server.url(), brokerConnectionTimeout: 1_000 });
    await runRestartScenario({
      name: 'faults/redis-restart',
      server,
      redis,
      app,
      workers,
      workerCount: 1,
      producers: 4,
      before: 1_500,
      outage: 3_000,
      after: 1_500,
      connectionTimeout: 1_000,
    });
  }, 60_000);
});
