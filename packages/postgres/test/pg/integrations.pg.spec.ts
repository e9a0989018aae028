// Broker Redis, results in PostgreSQL, served by the Fastify plugin and the Express router exactly as on Redis: the
// 202 route, the JSON and SSE status routes (LISTEN/NOTIFY underneath), what is revealed, and shutdown.
import { serveExpress } from '../../../express/test/support/serve';
import { serveFastify } from '../../../fastify/test/support/serve';
import { describeHttpIntegration } from '../../../core/test/support/http-suite';
import { pgStatusEnv } from '../support/pg-status-env';

describeHttpIntegration('fastify, redis broker, postgres results', () => pgStatusEnv('fastify-pg'), serveFastify);
describeHttpIntegration('express, redis broker, postgres results', () => pgStatusEnv('express-pg'), serveExpress);
