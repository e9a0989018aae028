// The same HTTP suite with Express 4 (4.21+ is in the peer range): `express` resolves to Express 4 for this file,
// in the package as in the test's server, as it would in an app that depends on Express 4.
import { describeHttpIntegration } from '../../../core/test/support/http-suite';
import { memoryStatusEnv } from '../../../core/test/support/status-envs';
import { serveExpress } from '../support/serve';

jest.mock('express', () => jest.requireActual('express4'));

test('express resolves to Express 4 here', () => {
  expect((jest.requireActual('express4/package.json') as { version: string }).version).toMatch(/^4\./);
  expect(require('express')).toBe(jest.requireActual('express4'));
});

describeHttpIntegration('express 4, memory://', () => memoryStatusEnv('express4-mem'), serveExpress);
