// The app + worker and "every outcome settles" conformance suites on a real rabbitmq-server (fresh vhost per
// test) with results in Redis, and queues declared with x-max-priority (Celery's task_queue_max_priority).
import { describeWorkerConformance } from '../../../core/test/conformance/worker.conformance';
import { describeSettlingConformance } from '../../../core/test/conformance/settling.conformance';
import type { Target } from '../../../core/test/conformance/harness';
import { severWorker, startServers, type Servers } from '../support/targets';

jest.setTimeout(120_000);

let servers: Servers;
beforeAll(async () => {
  servers = await startServers(70);
});
afterAll(async () => {
  await servers?.stop();
});

let backend = '';
const target: Target = {
  async freshUrl() {
    const { amqp, redis } = await servers.fresh();
    backend = redis;
    return amqp;
  },
  config: async () => ({ resultBackend: backend, taskQueueMaxPriority: 9 }),
  priority: 'high-first',
  sever: severWorker,
};

describeWorkerConformance('amqp://', target);
describeSettlingConformance('amqp://', target);
