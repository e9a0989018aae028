// The broker port's conformance suite on a real rabbitmq-server (a fresh vhost per test; revocations in Redis).
import { describeBroker } from '../../../core/test/conformance/broker.conformance';
import { openBroker, severConsumer, startServers, type Servers } from '../support/targets';

jest.setTimeout(120_000);

let servers: Servers;
const redisOf = new Map<string, string>();
beforeAll(async () => {
  servers = await startServers(20);
});
afterAll(async () => {
  await servers?.stop();
});

describeBroker('amqp://', {
  async freshUrl() {
    const { amqp, redis } = await servers.fresh();
    redisOf.set(amqp, redis);
    return amqp;
  },
  open: (url) => openBroker(url, redisOf.get(url) ?? null),
  semantics: { priority: 'fifo', delayed: 'broker', recovery: 'connection', consume: 'push' },
  sever: severConsumer,
});
