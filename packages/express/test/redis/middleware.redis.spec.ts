// The middleware, router and error handler through supertest on a real redis-server.
import { redisPlace } from '../../../core/test/support/status-envs';
import { describeMiddleware } from '../support/middleware-suite';

describeMiddleware('redis', redisPlace);
