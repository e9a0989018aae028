// `npm run test:chaos`: the chaos suite (real worker processes, a real redis-server killed and restarted).
// Run with --runInBand: the scenarios measure recovery times and must not compete for the CPU.
const preset = require('./jest.preset');

module.exports = {
  ...preset,
  displayName: 'chaos',
  testMatch: ['<rootDir>/packages/*/test/chaos/**/*.chaos.spec.ts'],
  testTimeout: 120_000,
  slowTestThreshold: 60,
};
