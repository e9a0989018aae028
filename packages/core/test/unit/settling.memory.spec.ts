import { randomUUID } from 'node:crypto';
import { describeSettlingConformance } from '../conformance/settling.conformance';

describeSettlingConformance('memory://', { freshUrl: async () => `memory://${randomUUID()}` });
