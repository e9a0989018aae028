// Broker Redis, results in PostgreSQL: core's worker, task status, watch() and createStatusHandler (the status
// routes every integration serves) run unchanged on this backend; subscriptions are counted around the real one.
import { describeStatus } from '../../../core/test/support/status-suite';
import { pgStatusEnv } from '../support/pg-status-env';

describeStatus('redis broker, postgres results', () => pgStatusEnv('status-pg'));
