// Redis (AOF, appendfsync always) killed and restarted under load: every .delay() that resolved completes;
// a .delay() during the outage rejects with a BrokerError naming the URL within brokerConnectionTimeout
// (or succeeds after the reconnect); the worker process resumes without a restart.
import { runRestartScenario } from './restart-scenario';
import { useChaosEnv } from './chaos-support';

describe('Redis restarted mid-run', () => {
  const env = useChaosEnv('faults-restart', { appendonly: true, appConfig: { brokerConnectionTimeout: 1_000 } });

  it('loses no task whose .delay() resolved; the worker resumes by itself', async () => {
    await runRestartScenario({
      name: 'faults/redis-restart',
      env,
      workerCount: 1,
      producers: 4,
      before: 1_500,
      outage: 3_000,
      after: 1_500,
      connectionTimeout: 1_000,
    });
  }, 60_000);
});
