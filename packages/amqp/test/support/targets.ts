// One rabbitmq-server (fresh vhost per test) and one redis-server (fresh database per test, for results and
// revocations) per test file, for the conformance suites.
import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { consoleLogger, DEFAULT_SETTINGS, type BrokerConsumer } from '@celeriac/core';
import { AmqpBroker, AmqpConsumer } from '../../src';
import { startRedis, type RedisServer } from '../../../core/test/support/redis-server';
import { startRabbit, type RabbitServer } from './rabbitmq';

export interface Servers {
  rabbit: RabbitServer;
  redis: RedisServer;
  /** A fresh vhost and an emptied Redis database. */
  fresh(): Promise<{ amqp: string; redis: string }>;
  stop(): Promise<void>;
}

export async function startServers(vhosts: number, options: { consumerTimeout?: number } = {}): Promise<Servers> {
  const [rabbit, redis] = await Promise.all([startRabbit({ vhosts, ...options }), startRedis({ own: true })]);
  let db = 0;
  return {
    rabbit,
    redis,
    async fresh() {
      const n = db++ % 16;
      const c = new Redis(redis.url(n));
      await c.flushdb();
      c.disconnect();
      return { amqp: rabbit.freshUrl(), redis: redis.url(n) };
    },
    async stop() {
      await Promise.all([rabbit.stop(), redis.stop()]);
    },
  };
}

export function openBroker(amqpUrl: string, redisUrl: string | null, maxPriority: number | null = null): AmqpBroker {
  return new AmqpBroker(amqpUrl, {
    timeout: DEFAULT_SETTINGS.brokerConnectionTimeout,
    maxPriority,
    resultBackend: redisUrl,
    logger: consoleLogger('silent'),
    workersWindow: 500,
  });
}

/** Drops a consumer's connection as a SIGKILL would. */
export async function severConsumer(c: BrokerConsumer): Promise<void> {
  if (!(c instanceof AmqpConsumer)) throw new Error('not an AMQP consumer');
  c.link.sever();
}

export async function severWorker(w: { readonly consumer: BrokerConsumer }): Promise<void> {
  await severConsumer(w.consumer);
}

export const tag = () => randomUUID().slice(0, 8);
