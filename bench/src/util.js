'use strict';
// Small shared helpers: clock, statistics, payloads, argument parsing, a free port.
const net = require('node:net');
// Milliseconds with sub-ms resolution, comparable across processes on one machine: the system's monotonic clock
// (process.hrtime reads CLOCK_MONOTONIC on Linux, one clock for every process).
// NOTE: not performance.timeOrigin + performance.now(): each process fixes its timeOrigin from the wall clock when it
// starts, and on a VM whose clock is being slewed, two processes' origins differ by milliseconds (seen here: latencies
// of -3.9 ms between the producer and the worker child).
const now = () => Number(process.hrtime.bigint()) / 1e6;

const median = (xs) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

// Nearest-rank percentile of an already sorted array.
const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null;

const TOKEN_BASE = 'a3f1c9e27b5d4086f2e1b7c3d9a05e4';
// The same `{email, username, token}` payload shape for every system.
const makePayload = (i) => ({
  email: `user${i}@example.com`,
  username: `user${i}`,
  token: (TOKEN_BASE + i.toString(16)).slice(-32),
});

// Run `total` calls of `fn(i)` keeping at most `inFlight` pending.
async function pool(total, inFlight, fn) {
  let next = 0;
  const lane = async () => {
    while (next < total) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, lane));
}

function parseArgs(argv) {
  const opts = { quick: false, systems: null, scenarios: null, frameworks: null, reps: null, out: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]);
    if (a === '--quick') opts.quick = true;
    else if (a.startsWith('--systems')) opts.systems = val().split(',').filter(Boolean);
    else if (a.startsWith('--scenarios')) opts.scenarios = val().split(',').filter(Boolean);
    else if (a.startsWith('--frameworks')) opts.frameworks = val().split(',').filter(Boolean);
    else if (a.startsWith('--reps')) opts.reps = Number(val());
    else if (a.startsWith('--out')) opts.out = val();
    else if (a === '--help' || a === '-h') opts.help = true;
    else throw new Error(`unknown argument ${a} (try --help)`);
  }
  return opts;
}

// A free loopback port for a server the bench starts (redis-server, postgres).
const freePort = () =>
  new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

module.exports = { now, median, percentile, makePayload, pool, parseArgs, freePort };
