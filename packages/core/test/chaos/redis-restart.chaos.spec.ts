// Redis (AOF, appendfsync always) SIGKILLed under load from 8 producers and 3 worker processes, down for
// 5 s, restarted: every .delay() that resolved completes; the ones during the outage reject with a
// BrokerError naming the URL within brokerConnectionTimeout; the workers resume without a restart.
import { useChaosEnv } from '../faults/chaos-support';
import { runRestartScenario } from '../faults/restart-scenario';

describe('chaos: Redis killed and restarted mid-run', () => {
  const env = useChaosEnv('chaos-restart', { appendonly: true, appConfig: { brokerConnectionTimeout: 2_000 } });

  it('loses no task whose .delay() resolved; workers resume by themselves', async () => {
    await runRestartScenario({
      name: 'chaos/redis-restart',
      env,
      workerCount: 3,
      producers: 8,
      before: 3_000,
      outage: 5_000,
      after: 3_000,
      connectionTimeout: 2_000,
    });
  }, 90_000);
});
