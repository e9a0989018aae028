// The plugin through fastify.inject on memory://.
import { memoryPlace } from '../../../core/test/support/status-envs';
import { describePlugin } from '../support/plugin-suite';

describePlugin('memory://', memoryPlace);
