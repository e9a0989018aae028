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
      // @celeriac/nest (and the dashboard mounted in Nest): NestJS 12 ships ES modules only; jest loads them through
      // SWC (Node runs them with require(esm)).
      ...preset,
      displayName: 'nest',
      testMatch: ['<rootDir>/packages/nest/test/**/*.spec.ts', '<rootDir>/packages/dashboard/test/**/*.nest.spec.ts'],
      transform: { ...preset.transform, '^.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
      transformIgnorePatterns: ['/node_modules/(?!(@nestjs|file-type|strtok3|token-types|@tokenizer|uint8array-extras|@borewit)/)'],
      slowTestThreshold: 30,
    },
    {
      // apps/demo-shop: its entry points run as child processes on their built JS, driven by a real Chromium;
      // the same transform as 'nest' in case a test loads Nest's ES modules.
      ...preset,
      displayName: 'demo',
      testMatch: ['<rootDir>/apps/demo-shop/test/*.spec.ts'], // test/unit/ is the 'unit' project's
      transform: { ...preset.transform, '^.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] },
      transformIgnorePatterns: ['/node_modules/(?!(@nestjs|file-type|strtok3|token-types|@tokenizer|uint8array-extras|@borewit)/)'],
      slowTestThreshold: 30,
    },
    {
      ...preset,
      displayName: 'postgres',
      testMatch: ['<rootDir>/packages/*/test/**/*.pg.spec.ts'],
      slowTestThreshold: 30,
    },
    {
      ...preset,
      displayName: 'sentinel',
      testMatch: ['<rootDir>/packages/*/test/**/*.sentinel.spec.ts'],
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
