// @celeriac/amqp: the amqp:// and amqps:// broker, loaded by @celeriac/core when brokerUrl names one.
import { ConfigurationError, redactUrl, type TransportContext } from '@celeriac/core';
import { AmqpBroker } from './broker';
import { RpcBackend, oidFor } from './rpc';

export { AmqpBroker, type AmqpBrokerOptions } from './broker';
export { AmqpConsumer } from './consumer';
export { RpcBackend } from './rpc';

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
    ...(s.resultBackend && /^rpc:/i.test(s.resultBackend) ? { rpc: { oid: oidFor(s), expiresMs: s.resultExpires } } : {}),
  });
}

/**
 * Celery's `rpc://` result backend: results as messages to the caller's reply queue, over the amqp:// broker.
 * Celery's `amqp` result backend is gone since Celery 5; any other scheme here is a clear error naming the fix.
 */
export function createBackend(url: string, context: TransportContext): RpcBackend {
  const scheme = new URL(url).protocol;
  if (scheme !== 'rpc:') {
    throw new ConfigurationError(
      `\`resultBackend\` (${redactUrl(url)}): ${scheme}// is not a result backend; with an amqp:// broker use rpc:// or a redis:// URL (e.g. redis://127.0.0.1:6379/0)`,
    );
  }
  return new RpcBackend(url, context.settings, context.logger);
}
