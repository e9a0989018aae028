// The middleware and router over a real socket on memory:// (the shared HTTP integration suite).
import { describeHttpIntegration } from '../../../core/test/support/http-suite';
import { memoryStatusEnv } from '../../../core/test/support/status-envs';
import { serveExpress } from '../support/serve';

describeHttpIntegration('express, memory://', () => memoryStatusEnv('express-mem'), serveExpress);
