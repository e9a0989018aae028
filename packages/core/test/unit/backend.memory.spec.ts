import { randomUUID } from 'node:crypto';
import { describeResultBackend } from '../conformance/backend.conformance';

describeResultBackend('memory://', { url: async () => `memory://${randomUUID()}` });
