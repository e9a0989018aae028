// The app + worker conformance suite with Celery's rpc:// result backend (results as messages to the app's reply
// queue; here the caller and the worker are one app, so states reach it through its own reply path).
import { describeWorkerConformance } from '../../../core/test/conformance/worker.conformance';
import { severWorker, startServers, type Servers } from '../support/targets';

jest.setTimeout(120_000);

let servers: Servers;
beforeAll(async () => {
  servers = await startServers(40);
});
afterAll(async () => {
  await servers?.stop();
});

describeWorkerConformance('amqp:// + rpc://', {
  freshUrl: async () => (await servers.fresh()).amqp,
  config: async () => ({ resultBackend: 'rpc://', taskQueueMaxPriority: 9 }),
  priority: 'high-first',
  sever: severWorker,
});
