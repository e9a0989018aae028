// The plugin through fastify.inject on memory://.
import { randomUUID } from 'node:crypto';
import { describePlugin } from '../support/plugin-suite';

describePlugin('memory://', async () => ({ url: `memory://${randomUUID()}`, stop: async () => undefined }));
