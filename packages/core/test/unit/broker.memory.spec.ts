import { randomUUID } from 'node:crypto';
import { MemoryBroker } from '../../src/broker/memory';
import { describeBroker } from '../conformance/broker.conformance';

describeBroker('memory://', { freshUrl: async () => `memory://${randomUUID()}`, open: (url) => new MemoryBroker(url) });
