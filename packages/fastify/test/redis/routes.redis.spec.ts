// The plugin's routes over a real socket on a real redis-server, and its answers while Redis is down.
import { consoleLogger, createApp } from '@celeriac/core';
import { describeBrokerDown, describeHttpIntegration } from '../../../core/test/support/http-suite';
import { redisStatusEnv } from '../../../core/test/support/status-envs';
import { serveFastify } from '../support/serve';

describeHttpIntegration('fastify, redis', () => redisStatusEnv('fastify-redis'), serveFastify);
describeBrokerDown('fastify', (url) => createApp('fastify-down', { broker: url, brokerConnectionTimeout: 1_000, logger: consoleLogger('silent') }), serveFastify);
