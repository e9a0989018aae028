// Task status, watch() and the status routes on memory://, with a backend that counts its subscriptions.
import { randomUUID } from 'node:crypto';
import { consoleLogger, createApp } from '../../src';
import { MemoryBackend } from '../../src/backend/memory';
import { CountingBackend, countedStatusEnv } from '../support/counting-backend';
import { describeStatus } from '../support/status-suite';

describeStatus('memory://', async () => {
  const url = `memory://${randomUUID()}`;
  const backend = new CountingBackend(new MemoryBackend(url));
  const app = createApp('status-mem', { broker: url, backend, logger: consoleLogger('silent') });
  return countedStatusEnv(app, backend);
});
