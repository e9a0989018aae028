// @celeriac/amqp: the amqp:// and amqps:// broker, loaded by @celeriac/core when brokerUrl names one.
import { ConfigurationError, redactUrl, type TransportContext } from '@celeriac/core';
import { AmqpBroker } from './broker';

export { AmqpBroker, type AmqpBrokerOptions } from './broker';
export { AmqpConsumer } from './consumer';

/** The broker for an `amqp://` / `amqps://` URL (core calls this through its transport seam). */
export function createBroker(url: string, context: TransportContext): AmqpBroker {
  const scheme = new URL(url).protocol;
  if (scheme !== 'amqp:' && scheme !== 'amqps:') {
    throw new ConfigurationError(`\`brokerUrl\` (${redactUrl(url)}): @celeriac/amqp serves amqp:// and amqps:// brokers`);
  }
  const s = context.settings;
  return new AmqpBroker(url, {
    timeout: s.brokerConnectionTimeout,
    maxPriority: s.taskQueueMaxPriority ?? null,
    resultBackend: s.resultBackend,
    queues: s.taskQueues ?? {},
    logger: context.logger,
  });
}

/**
 * Results cannot live on RabbitMQ here: Celery's `amqp` result backend is gone since Celery 5, and its `rpc://`
 * backend is not implemented by celeriac yet. A clear error at start-up, naming what to set, instead.
 */
export function createBackend(url: string, _context: TransportContext): never {
  void _context;
  const scheme = new URL(url).protocol;
  const what = scheme === 'rpc:' ? 'the rpc:// result backend is not supported yet' : `${scheme}// is not a result backend`;
  throw new ConfigurationError(
    `\`resultBackend\` (${redactUrl(url)}): ${what}; with an amqp:// broker set resultBackend to a redis:// URL (e.g. redis://127.0.0.1:6379/0)`,
  );
}
