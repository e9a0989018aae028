// Shared jest settings: TypeScript through SWC (type checking is `tsc -b`, run by `npm test` first).
const path = require('node:path');

const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@celeriac/(core|nest|fastify|express|amqp|dashboard)$': path.join(__dirname, 'packages/$1/src/index.ts'),
    '^@celeriac/dashboard/(fastify|express|nest)$': path.join(__dirname, 'packages/dashboard/src/$1.ts'),
    '^@celeriac/postgres$': path.join(__dirname, 'packages/postgres/src/index.ts'),
    '^@celeriac/core/testing$': path.join(__dirname, 'packages/core/src/testing/index.ts'),
  },
  rootDir: __dirname,
};
