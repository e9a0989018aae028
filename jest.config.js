const preset = require('./jest.preset');

module.exports = {
  testTimeout: 30_000,
  projects: [
    {
      ...preset,
      displayName: 'unit',
      testMatch: ['<rootDir>/packages/*/test/unit/**/*.spec.ts', '<rootDir>/apps/*/test/unit/**/*.spec.ts'],
    },
    {
      ...preset,
      displayName: 'redis',
      testMatch: ['<rootDir>/packages/*/test/**/*.redis.spec.ts', '<rootDir>/apps/*/test/**/*.redis.spec.ts'],
      slowTestThreshold: 30,
    },
    {
      ...preset,
      displayName: 'sentinel',
      testMatch: ['<rootDir>/packages/*/test/**/*.sentinel.spec.ts'],
      slowTestThreshold: 30,
    },
  ],
};
