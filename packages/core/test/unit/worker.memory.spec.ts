import { randomUUID } from 'node:crypto';
import { describeWorkerConformance } from '../conformance/worker.conformance';

describeWorkerConformance('memory://', { freshUrl: async () => `memory://${randomUUID()}` });
