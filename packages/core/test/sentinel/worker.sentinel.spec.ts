// The app + worker conformance suite on Redis Sentinel: apps reach the master through three sentinels.
import { describeWorkerConformance } from '../conformance/worker.conformance';
import { MASTER_NAME, startSentinels, type SentinelDeployment } from '../support/sentinel';

let deployment: SentinelDeployment;
let db = 0;

beforeAll(async () => {
  deployment = await startSentinels();
}, 60_000);
afterAll(async () => {
  await deployment.stop();
});

describeWorkerConformance('sentinel://', {
  settings: { brokerTransportOptions: { masterName: MASTER_NAME } },
  // NOTE: the suite reads broker-wide state (live workers, dead letters): each test gets a database of its own,
  // emptied first.
  freshUrl: async () => {
    const n = db++ % 16;
    const master = await deployment.master();
    await master.select(n);
    await master.flushdb();
    return deployment.url(n);
  },
});
