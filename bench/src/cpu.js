'use strict';
// The cpu scenario: N tasks of ~10 ms of hashing, on celeriac's three pools (main, threads, processes) and on
// BullMQ's equivalents (an inline processor; sandboxed processors in worker threads, in child processes), each
// with a pool of `size`. Time runs from just before the worker is created (its pool started) to the N-th
// completion event; the rate is N / that time. The worker runs in this process; its pools are its own.
const path = require('node:path');
const { now } = require('./util');
const { calibrate } = require('./cpu-work');

const POOLS = ['main', 'threads', 'processes'];
const QUEUE = 'bench-cpu';

const conn = (url) => {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port), db: Number(u.pathname.slice(1) || 0) };
};

const adapters = {
  celeriac: {
    async run(url, { n, rounds, pool, size }) {
      const core = require('@celeriac/core');
      const { TASK, register } = require('./cpu-task');
      const app = register(core.createApp('bench-cpu', { broker: url }));
      await app.sendMany(Array.from({ length: n }, () => ({ task: TASK, args: [rounds] })));
      let done = 0;
      let finished;
      const all = new Promise((r) => (finished = r));
      const t0 = now();
      const worker = app.worker({ concurrency: size, ...(pool === 'main' ? {} : { pool, module: require.resolve('./cpu-task') }) });
      worker.on('completed', () => ++done === n && finished());
      worker.on('failed', (info) => console.error('[celeriac cpu] task failed', info.error));
      await worker.start();
      await all;
      const ms = now() - t0;
      await worker.close();
      await app.close();
      return ms;
    },
  },
  bullmq: {
    async run(url, { n, rounds, pool, size }) {
      const { Queue, Worker } = require('bullmq');
      const queue = new Queue(QUEUE, { connection: conn(url) });
      await queue.waitUntilReady();
      for (let i = 0; i < n; i += 1000) await queue.addBulk(Array.from({ length: Math.min(1000, n - i) }, () => ({ name: 'hash', data: { rounds } })));
      let done = 0;
      let finished;
      const all = new Promise((r) => (finished = r));
      const t0 = now();
      const processor = pool === 'main' ? async (job) => require('./cpu-work').hashRounds(job.data.rounds) : path.join(__dirname, 'cpu-processor.js');
      const worker = new Worker(QUEUE, processor, {
        connection: { ...conn(url), maxRetriesPerRequest: null },
        concurrency: size,
        ...(pool === 'threads' ? { useWorkerThreads: true } : {}),
      });
      worker.on('completed', () => ++done === n && finished());
      worker.on('failed', (job, err) => console.error('[bullmq cpu] job failed', err && err.message));
      await all;
      const ms = now() - t0;
      await worker.close();
      await queue.close();
      return ms;
    },
  },
};

async function cpu({ cfg, redis, systems, record, log }) {
  const { n, ms, size, reps } = cfg.cpu;
  const rounds = calibrate(ms);
  log(`cpu: ${rounds} SHA-256 rounds ≈ ${ms} ms here; ${n} tasks, pool size ${size}`);
  const runnable = systems.filter((s) => adapters[s.name]);
  for (let rep = 0; rep < reps; rep++) {
    const rates = {};
    for (const pool of POOLS) {
      for (const s of runnable) {
        await redis.flush();
        const took = await adapters[s.name].run(redis.url, { n, rounds, pool, size });
        const rate = n / (took / 1000);
        (rates[s.name] ??= {})[pool] = rate;
        record(`cpu.${pool}`, s.name, rate);
        log(`cpu rep ${rep + 1} ${pool} ${s.name}: ${Math.round(rate)} tasks/s`);
      }
    }
    // NOTE: the scaling of one worker on every core (Celery's -P processes): its pool of child processes against
    // the same tasks run on the worker's own event loop (one core).
    for (const s of runnable) record('cpu.scale', s.name, rates[s.name].processes / rates[s.name].main);
  }
  await redis.flush();
}

module.exports = { cpu, POOLS };
