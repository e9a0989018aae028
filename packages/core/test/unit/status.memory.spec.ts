// Task status, watch() and the status routes on memory://, with a backend that counts its subscriptions.
import { memoryStatusEnv } from '../support/status-envs';
import { describeStatus } from '../support/status-suite';

describeStatus('memory://', () => memoryStatusEnv('status-mem'));
