// The broker port's conformance suite on Redis Sentinel: the same RedisBroker, reached through three
// sentinels that name the master.
import { RedisBroker } from '../../src/redis/broker';
import { ConnectionPool } from '../../src/redis/connection';
import { describeBroker } from '../conformance/broker.conformance';
import { startSentinels, type SentinelDeployment } from '../support/sentinel';

let deployment: SentinelDeployment;
const pool = new ConnectionPool(5_000);

beforeAll(async () => {
  deployment = await startSentinels();
}, 60_000);
afterAll(async () => {
  await deployment.stop();
});

describeBroker('sentinel://', {
  freshUrl: async () => {
    await deployment.flushall();
    const url = deployment.url(4); // not 0: the control channel is per database
    pool.useSentinel(url, { masterName: deployment.masterName });
    return url;
  },
  open: (url) => new RedisBroker(url, pool),
});
