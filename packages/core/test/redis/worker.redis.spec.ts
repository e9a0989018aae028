import { describeWorkerConformance } from '../conformance/worker.conformance';
import { redisTarget } from '../support/redis-target';

describeWorkerConformance('redis://', redisTarget());
