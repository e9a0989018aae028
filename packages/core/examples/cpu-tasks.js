// cpu-tasks.js: a CPU-bound task in a pool of worker threads. Run: node cpu-tasks.js
const { createHash } = require('node:crypto');
const { createApp } = require('@celeriac/core');

const app = createApp('images', { broker: process.env.BROKER_URL ?? 'memory://' });
const digest = app.task('images.digest', (rounds) => {
  let h = 'seed';
  for (let i = 0; i < rounds; i++) h = createHash('sha256').update(h).digest('hex');
  return h.slice(0, 12);
}, { timeLimit: 10_000 }); // hard: past it the thread is ended and replaced, the task stored as FAILURE
module.exports = { app, digest };

if (require.main === module) {
  (async () => {
    // Each thread loads this file (`module`) for its tasks; the worker keeps the broker and the results.
    const worker = app.worker({ pool: 'threads', concurrency: 2, module: __filename, maxTasksPerChild: 100 });
    await worker.start();
    const sent = await Promise.all([1, 2, 3, 4].map(() => digest.delay(100_000)));
    console.log(await Promise.all(sent.map((r) => r.get({ timeout: 30_000 })))); // four equal digests
    await worker.close();
    await app.close();
  })();
}
