'use strict';
// Bee-Queue 2.0 with its shipped defaults (storeJobs, removeOnSuccess false, sendEvents/getEvents on).
const BeeQueue = require('bee-queue');

const QUEUE = 'bench';
const redisOpts = (url) => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), db: Number(u.pathname.slice(1) || 0) };
};

module.exports = {
  name: 'beequeue',
  label: 'Bee-Queue',

  async producer(url) {
    const queue = new BeeQueue(QUEUE, { redis: redisOpts(url) });
    await queue.ready();
    return {
      send: async (payload) => (await queue.createJob(payload).save()).id,
      sendBulk: async (payloads) => {
        const errors = await queue.saveAll(payloads.map((p) => queue.createJob(p)));
        if (errors.size) throw [...errors.values()][0];
      },
      close: () => queue.close(),
    };
  },

  async worker(url, { concurrency, onTask, onDone }) {
    const queue = new BeeQueue(QUEUE, { redis: redisOpts(url) });
    queue.on('error', (e) => console.error('[bee-queue worker]', e.message));
    if (onDone) queue.on('succeeded', (job) => onDone(job.id));
    await queue.ready();
    queue.process(concurrency, async (job) => {
      onTask(job.data);
      return null;
    });
    return { close: () => queue.close(30_000) };
  },
};
