// Task status, watch() and the status routes on memory://, with a backend that counts its subscriptions.
import { randomUUID } from 'node:crypto';
import { consoleLogger, createApp, type ResultBackend } from '../../src';
import { MemoryBackend } from '../../src/backend/memory';
import { describeStatus } from '../support/status-suite';

/** A memory backend that counts live listeners per task and lookups: given to createApp as an instance. */
class CountingBackend extends MemoryBackend implements ResultBackend {
  readonly live = new Map<string, number>();
  gets = 0;
  override get(taskId: string) {
    this.gets++;
    return super.get(taskId);
  }
  override async subscribe(taskId: string, listener: Parameters<ResultBackend['subscribe']>[1]) {
    const stop = await super.subscribe(taskId, listener);
    this.live.set(taskId, (this.live.get(taskId) ?? 0) + 1);
    let stopped = false;
    return () => {
      if (!stopped) this.live.set(taskId, this.live.get(taskId)! - 1);
      stopped = true;
      stop();
    };
  }
}

describeStatus('memory://', async () => {
  const url = `memory://${randomUUID()}`;
  const backend = new CountingBackend(url);
  const app = createApp('status-mem', { broker: url, backend, logger: consoleLogger('silent') });
  return {
    app,
    subscriptions: async (id) => backend.live.get(id) ?? 0,
    lookups: () => backend.gets,
    close: async () => {
      await app.close();
      await backend.close();
    },
  };
});
