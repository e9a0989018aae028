'use strict';
// BullMQ 6.7 with its shipped defaults (results kept: removeOnComplete false, events stream on).
const { Queue, Worker } = require('bullmq');

const QUEUE = 'bench';
const conn = (url) => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), db: Number(u.pathname.slice(1) || 0) };
};

module.exports = {
  name: 'bullmq',
  label: 'BullMQ',

  async producer(url) {
    const queue = new Queue(QUEUE, { connection: conn(url) });
    await queue.waitUntilReady();
    return {
      send: async (payload) => (await queue.add('noop', payload)).id,
      sendBulk: async (payloads) => {
        await queue.addBulk(payloads.map((data) => ({ name: 'noop', data })));
      },
      close: () => queue.close(),
    };
  },

  // Starts consuming at once; onTask runs inside the processor, onDone on 'completed'.
  async worker(url, { concurrency, onTask, onDone }) {
    const worker = new Worker(
      QUEUE,
      async (job) => {
        onTask(job.data);
        return null;
      },
      { connection: { ...conn(url), maxRetriesPerRequest: null }, concurrency },
    );
    if (onDone) worker.on('completed', (job) => onDone(job.id));
    worker.on('error', (e) => console.error('[bullmq worker]', e.message));
    await worker.waitUntilReady();
    return { close: () => worker.close() };
  },
};
