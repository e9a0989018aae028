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
      // Each file starts its own rabbitmq-server (or uses AMQP_URL); independent of the others, so the lead
      // can run this project in parallel with them.
      displayName: 'amqp',
      testMatch: ['<rootDir>/packages/*/test/**/*.amqp.spec.ts'],
      slowTestThreshold: 60,
    },
  ],
};
