import { randomUUID } from 'node:crypto';
import { describeCanvasConformance } from '../conformance/canvas.conformance';
import { MemoryBackend } from '../../src/backend/memory';

describeCanvasConformance('memory://', {
  freshUrl: async () => `memory://${randomUUID()}`,
  leftovers: async (app) => (app.backend as MemoryBackend).pendingChords(),
});
