// The plugin through fastify.inject on a real redis-server.
import { redisPlace } from '../../../core/test/support/status-envs';
import { describePlugin } from '../support/plugin-suite';

describePlugin('redis', redisPlace);
