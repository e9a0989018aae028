import { randomUUID } from 'node:crypto';
import { describeFarFuture } from '../conformance/far-future.scenario';

describeFarFuture('memory://', { freshUrl: async () => `memory://${randomUUID()}` });
