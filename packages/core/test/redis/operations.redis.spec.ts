import { describeOperationsConformance } from '../conformance/operations.conformance';
import { redisTarget } from '../support/redis-target';

describeOperationsConformance('redis://', redisTarget());
