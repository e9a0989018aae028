// The plugin's routes over a real socket on memory:// (the shared HTTP integration suite).
import { describeHttpIntegration } from '../../../core/test/support/http-suite';
import { memoryStatusEnv } from '../../../core/test/support/status-envs';
import { serveFastify } from '../support/serve';

describeHttpIntegration('fastify, memory://', () => memoryStatusEnv('fastify-mem'), serveFastify);
