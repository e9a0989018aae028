'use strict';
// celeriac with its defaults: results stored (celery-task-meta-<id>), STARTED stored, acks late.
let core;
try {
  core = require('@celeriac/core');
} catch (e) {
  throw new Error(
    `cannot load @celeriac/core (${e.message.split('\n')[0]}); build it first (npm run build) ` +
      'or run with --systems bullmq,beequeue',
  );
}

const TASK = 'bench.noop';

module.exports = {
  name: 'celeriac',
  label: 'celeriac',

  async producer(url, { backend } = {}) {
    const app = core.createApp('bench', { broker: url, ...(backend ? { backend } : {}) });
    const noop = app.task(TASK, async () => null);
    return {
      send: async (payload) => (await noop.delay(payload)).id,
      // app.sendMany: every message built first, then one LPUSH per 1,000 in one pipeline (one round trip).
      sendBulk: async (payloads) => (await app.sendMany(payloads.map((p) => ({ task: TASK, args: [p] })))).map((r) => r.id),
      close: () => app.close(),
    };
  },

  async worker(url, { concurrency, onTask, onDone, backend, sendTaskEvents }) {
    const app = core.createApp('bench', { broker: url, ...(backend ? { backend } : {}) });
    app.task(TASK, async (payload) => {
      onTask(payload);
      return null;
    });
    const worker = app.worker({ queues: ['celery'], concurrency, ...(sendTaskEvents ? { sendTaskEvents: true } : {}) });
    if (onDone) worker.on('completed', (info) => onDone(info.taskId));
    worker.on('failed', (info) => console.error('[celeriac worker] task failed', info));
    await worker.start();
    return {
      close: async () => {
        await worker.close();
        await app.close();
      },
    };
  },
};
