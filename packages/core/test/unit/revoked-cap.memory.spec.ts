import { randomUUID } from 'node:crypto';
import { describeRevokedCap } from '../conformance/revoked-cap.scenario';

describeRevokedCap('memory://', { freshUrl: async () => `memory://${randomUUID()}` });
