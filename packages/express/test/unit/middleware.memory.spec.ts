// The middleware, router and error handler through supertest on memory://.
import { memoryPlace } from '../../../core/test/support/status-envs';
import { describeMiddleware } from '../support/middleware-suite';

describeMiddleware('memory://', memoryPlace);
