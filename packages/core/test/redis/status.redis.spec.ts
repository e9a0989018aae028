// Task status, watch() and the status routes on a real redis-server; subscriptions counted by Redis itself.
import { redisStatusEnv } from '../support/status-envs';
import { describeStatus } from '../support/status-suite';

describeStatus('redis', () => redisStatusEnv('status-redis'));
