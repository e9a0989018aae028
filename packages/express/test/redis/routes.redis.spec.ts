// The middleware and router over a real socket on a real redis-server, and their answers while Redis is down.
import { consoleLogger, createApp } from '@celeriac/core';
import { describeBrokerDown, describeHttpIntegration } from '../../../core/test/support/http-suite';
import { redisStatusEnv } from '../../../core/test/support/status-envs';
import { serveExpress } from '../support/serve';

describeHttpIntegration('express, redis', () => redisStatusEnv('express-redis'), serveExpress);
describeBrokerDown('express', (url) => createApp('express-down', { broker: url, brokerConnectionTimeout: 1_000, logger: consoleLogger('silent') }), serveExpress);
