// @celeriac/amqp without a server: what core loads through its transport seam, the clear errors of a setup that
// cannot work, and the taskQueues / taskQueueMaxPriority settings.
import { ConfigurationError, createApp, consoleLogger, DEFAULT_SETTINGS } from '@celeriac/core';
import { AmqpBroker, createBackend, createBroker } from '../../src';
import { delayStep, DELAY_MAX_STEP, DELAY_MIN_STEP } from '../../src/topology';
import { fromAmqp, toAmqp } from '../../src/envelope';

const context = { settings: { ...DEFAULT_SETTINGS }, logger: consoleLogger('silent') };

describe('@celeriac/amqp through core', () => {
  it('createApp with an amqp:// broker builds an AmqpBroker (password hidden in its url)', async () => {
    const app = createApp('t', { broker: 'amqp://user:secret@127.0.0.1:1/vh', backend: 'memory://', logger: consoleLogger('silent') });
    expect(app.broker).toBeInstanceOf(AmqpBroker);
    expect(app.broker.url).not.toContain('secret');
    await app.close();
  });

  it('an amqp:// broker with no result backend fails with an error naming what to set', async () => {
    const app = createApp('t', { broker: 'amqp://127.0.0.1:1/', logger: consoleLogger('silent') });
    expect(() => app.backend).toThrow(ConfigurationError);
    expect(() => app.backend).toThrow(/resultBackend.*redis:\/\//);
    await app.close();
  });

  it('rpc:// needs an amqp:// broker; an amqp:// URL is no result backend (the error names rpc:// and redis://)', () => {
    expect(() => createBackend('rpc://', context)).toThrow(/rpc:\/\/ sends results over the broker: it needs an amqp:\/\/ broker, not memory:\/\//);
    expect(() => createBackend('amqp://127.0.0.1/', context)).toThrow(/amqp:\/\/ is not a result backend.*rpc:\/\/ or a redis:\/\//);
  });

  it('createBroker refuses a scheme it does not serve, and an x-max-priority RabbitMQ cannot take', () => {
    expect(() => createBroker('rpc://', context)).toThrow(/serves amqp:\/\/ and amqps:\/\//);
    expect(() => createBroker('amqp://127.0.0.1/', { ...context, settings: { ...context.settings, taskQueueMaxPriority: 300 } })).toThrow(/taskQueueMaxPriority.*1 to 255/);
  });

  it('taskQueues is checked: exchange types, keys, shapes', () => {
    const mk = (taskQueues: unknown) => () => createApp('t', { taskQueues: taskQueues as never });
    expect(mk({ mail: { exchange: 'tasks', exchangeType: 'topic', routingKey: 'mail.#' } })).not.toThrow();
    expect(mk({ mail: { exchangeType: 'headers' } })).toThrow(/taskQueues\["mail"\]\.exchangeType.*direct, topic, fanout/);
    expect(mk({ mail: { routingkey: 'x' } })).toThrow(/Unknown key `routingkey`/);
    expect(mk(['mail'])).toThrow(/taskQueues/);
    const app = createApp('t');
    app.configFromEnv('X', { X_TASK_QUEUES: '{"mail": {"exchange": "tasks", "exchangeType": "topic", "routingKey": "mail.#"}}' });
    expect(app.settings.taskQueues).toEqual({ mail: { exchange: 'tasks', exchangeType: 'topic', routingKey: 'mail.#' } });
  });
});

describe('broker-side delays', () => {
  it('a wait goes to the largest power-of-two step not beyond it (bounded hops, no loop)', () => {
    expect(delayStep(0)).toBe(DELAY_MIN_STEP);
    expect(delayStep(1_000)).toBe(9); // 512 ms
    expect(delayStep(1_024)).toBe(10);
    expect(delayStep(30 * 24 * 3600 * 1000)).toBe(31);
    expect(delayStep(Number.MAX_SAFE_INTEGER)).toBe(DELAY_MAX_STEP);
    // Hops for a 30-day countdown: each at the largest step under what is left.
    let left = 30 * 24 * 3600 * 1000;
    let hops = 0;
    while (left > 1_000) {
      left -= 2 ** delayStep(left);
      hops++;
    }
    expect(hops).toBeLessThanOrEqual(32);
  });
});

describe('envelope ⇄ AMQP message', () => {
  it('carries Celery\'s properties and headers; the body is the JSON bytes; a redelivery is marked', () => {
    const body = Buffer.from('[[2, 3], {}, {"callbacks": null}]').toString('base64');
    const raw = JSON.stringify({
      body,
      'content-encoding': 'utf-8',
      'content-type': 'application/json',
      headers: { task: 'proj.add', id: 'abc', expires: '2100-01-01T00:00:00.000000+00:00' },
      properties: { correlation_id: 'abc', reply_to: 'r1', delivery_mode: 2, expiration: '600000', priority: 0, body_encoding: 'base64', delivery_tag: 'x' },
    });
    const { content, options } = toAmqp(raw, 7);
    expect(content.toString()).toBe('[[2, 3], {}, {"callbacks": null}]');
    expect(options).toMatchObject({ contentType: 'application/json', contentEncoding: 'utf-8', correlationId: 'abc', replyTo: 'r1', deliveryMode: 2, priority: 7, headers: { task: 'proj.add', id: 'abc' } });
    // No AMQP expiration: RabbitMQ would drop the task silently; the worker stores REVOKED (expired) instead.
    expect(options.expiration).toBeUndefined();

    const msg = {
      content,
      fields: { deliveryTag: 1, redelivered: true, exchange: '', routingKey: 'celery', consumerTag: 'c' },
      properties: { ...options, headers: options.headers },
    } as unknown as Parameters<typeof fromAmqp>[0];
    const back = JSON.parse(fromAmqp(msg, 'celery', '1.1'));
    expect(Buffer.from(back.body, 'base64').toString()).toBe('[[2, 3], {}, {"callbacks": null}]');
    expect(back.headers).toMatchObject({ task: 'proj.add', id: 'abc', redelivered: true });
    expect(back.properties).toMatchObject({ correlation_id: 'abc', reply_to: 'r1', priority: 7, body_encoding: 'base64', delivery_tag: '1.1', delivery_info: { routing_key: 'celery', redelivered: true } });
  });
});
