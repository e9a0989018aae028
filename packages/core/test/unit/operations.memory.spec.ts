import { randomUUID } from 'node:crypto';
import { describeOperationsConformance } from '../conformance/operations.conformance';

describeOperationsConformance('memory://', { freshUrl: async () => `memory://${randomUUID()}` });
