import { randomUUID } from 'node:crypto';
import { describePoolConformance } from '../conformance/pool.conformance';

describePoolConformance('memory://', { freshUrl: async () => `memory://${randomUUID()}` }, { heartbeatThread: false });
