'use strict';
// The CPU-bound work of the cpu scenario: `rounds` chained SHA-256 digests (~10 ms once calibrated).
const { createHash } = require('node:crypto');

function hashRounds(rounds) {
  let h = 'bench';
  for (let i = 0; i < rounds; i++) h = createHash('sha256').update(h).digest('hex');
  return h.slice(0, 16);
}

/** How many rounds take about `ms` on this machine (median of a few timings). */
function calibrate(ms) {
  const probe = 2000;
  hashRounds(probe); // warm up
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t0 = process.hrtime.bigint();
    hashRounds(probe);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  return Math.max(1, Math.round((probe * ms) / times[2]));
}

module.exports = { hashRounds, calibrate };
