'use strict';
// celeriac on RabbitMQ (amqp://, @celeriac/amqp) with results in the bench's Redis, otherwise as `celeriac`:
// results + STARTED stored, acks late, publisher confirms. Measured in enqueue and process only.
let core;
try {
  core = require('@celeriac/core');
  require('@celeriac/amqp');
} catch (e) {
  throw new Error(`cannot load @celeriac/core / @celeriac/amqp (${e.message.split('\n')[0]}); build them first (npm run build)`);
}

const base = require('./celeriac');

const TASK = 'bench.noop';
const amqpUrl = () => {
  const url = process.env.BENCH_AMQP_URL;
  if (!url) throw new Error('celeriac-amqp needs BENCH_AMQP_URL (the harness starts a rabbitmq-server and sets it)');
  return url;
};

module.exports = {
  name: 'celeriac-amqp',
  label: 'celeriac amqp',
  scenarios: ['enqueue', 'process'],

  async producer(redisUrl) {
    const app = core.createApp('bench', { broker: amqpUrl(), backend: redisUrl });
    const noop = app.task(TASK, async () => null);
    return {
      send: async (payload) => (await noop.delay(payload)).id,
      sendBulk: null,
      // RabbitMQ is not flushed with Redis: what a scenario sent and did not run is purged here.
      flush: async () => void (await app.broker.purge('celery')),
      close: () => app.close(),
    };
  },

  // The worker is celeriac's own, on the RabbitMQ broker with results in the bench's Redis.
  worker: (redisUrl, opts) => base.worker(amqpUrl(), { ...opts, backend: redisUrl }),
};
