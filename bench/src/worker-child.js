'use strict';
// Worker process: `node worker-child.js <system> <redisUrl>`. Driven over IPC by the parent:
//   { cmd: 'run', n, concurrency, marks?, latency? }  -> 'started', 'mark'*, then 'result'
//   { cmd: 'exit' }
// The task function itself counts tasks and takes the timestamps (same method for every system).
const { PerformanceObserver } = require('node:perf_hooks');
const { now } = require('./util');

// GC pauses of this process (the latency scenario reports the longest and the total, beside the worst latency).
let gcLog = null;
new PerformanceObserver((list) => {
  if (gcLog) for (const e of list.getEntries()) gcLog.push(e.duration);
}).observe({ entryTypes: ['gc'] });

const [system, url] = process.argv.slice(2);
const sys = require(`./systems/${system}`);

async function run({ n, concurrency, marks = [], latency = false }) {
  let count = 0;
  let tLast = 0;
  let finish;
  const finished = new Promise((r) => (finish = r));
  const markSet = new Set(marks);
  const starts = latency ? new Array(n).fill(null) : null;
  const dones = latency ? {} : null;

  const onTask = (payload) => {
    const t = now();
    if (latency) starts[payload.i] = t;
    count++;
    if (markSet.has(count)) process.send({ type: 'mark', count, t, mem: process.memoryUsage() });
    if (count === n) {
      tLast = t;
      finish();
    }
  };
  const onDone = latency ? (id) => (dones[id] = now()) : null;

  gcLog = [];
  const t0 = now(); // worker start: before the worker (and its connections) is created
  const cpu0 = process.cpuUsage();
  const worker = await sys.worker(url, { concurrency, onTask, onDone });
  process.send({ type: 'started', t: now() });
  await finished;
  const cpu = process.cpuUsage(cpu0); // µs of this process's CPU from worker creation to the N-th task
  const gc = { max: Math.max(0, ...gcLog), total: gcLog.reduce((a, b) => a + b, 0), count: gcLog.length };
  gcLog = null;
  // warm shutdown: in-flight tasks finish and report completion; a hang becomes a clear error
  let timer;
  await Promise.race([
    worker.close(),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${system} worker.close() did not resolve within 30 s`)), 30_000);
    }),
  ]);
  clearTimeout(timer);
  process.send({ type: 'result', t0, tLast, count, starts, dones, cpuUs: cpu.user + cpu.system, gc, mem: process.memoryUsage() });
}

process.on('message', (msg) => {
  if (msg.cmd === 'exit') process.exit(0);
  if (msg.cmd === 'run')
    run(msg).catch((e) => {
      process.send({ type: 'error', message: e.stack || String(e) });
    });
});
process.send({ type: 'ready' });
