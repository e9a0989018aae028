// Workers run ResultBackend.cleanup (Celery's backend_cleanup) for stores that do not expire results themselves.
import { randomUUID } from 'node:crypto';
import { consoleLogger, createApp } from '../../src';
import { MemoryBackend } from '../../src/backend/memory';
import { cleanupInterval } from '../../src/worker/cleanup';

class CleaningBackend extends MemoryBackend {
  readonly calls: number[] = [];
  fail = false;
  async cleanup(olderThanMs: number): Promise<number> {
    this.calls.push(olderThanMs);
    if (this.fail) throw new Error('cleanup broke');
    return 3;
  }
}

test('the interval: a quarter of resultExpires, between one second and one hour', () => {
  expect(cleanupInterval(86_400_000)).toBe(3_600_000);
  expect(cleanupInterval(60_000)).toBe(15_000);
  expect(cleanupInterval(100)).toBe(1_000);
});

test('a worker cleans up at start and periodically with resultExpires, reports failures as errors, stops on close', async () => {
  const url = `memory://${randomUUID()}`;
  const backend = new CleaningBackend(url);
  const app = createApp('cleanup', { broker: url, backend, resultExpires: 2_000, logger: consoleLogger('silent') });
  const worker = app.worker();
  const errors: Error[] = [];
  worker.on('error', (e) => errors.push(e));
  await worker.start();
  expect(backend.calls).toEqual([2_000]);
  backend.fail = true;
  const deadline = Date.now() + 10_000;
  while (backend.calls.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(backend.calls).toEqual([2_000, 2_000]);
  while (errors.length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(errors[0]?.message).toBe('cleanup broke');
  await worker.close();
  const calls = backend.calls.length;
  await new Promise((r) => setTimeout(r, 1_300));
  expect(backend.calls).toHaveLength(calls);
  await app.close();
  await backend.close();
});
