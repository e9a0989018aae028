// The revoked set is capped as Celery's (REVOKES_MAX, 50,000 ids): in a worker's memory and in the broker's
// stored set, the oldest revocations dropped first. Run on memory:// and on a real redis-server.
import { consoleLogger, createApp, type Celeriac, type Worker } from '../../src';
import { REVOKES_MAX } from '../../src/broker/revoked';

export interface RevokedCapTarget {
  /** A broker URL with nothing in it. */
  freshUrl(): Promise<string>;
}

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function describeRevokedCap(label: string, target: RevokedCapTarget): void {
  describe(`revoked set capped at ${REVOKES_MAX} (${label})`, () => {
    let app: Celeriac;
    const workers: Worker[] = [];

    beforeEach(async () => {
      app = createApp('cap', { broker: await target.freshUrl(), logger: consoleLogger('silent') });
    });
    afterEach(async () => {
      await Promise.all(workers.splice(0).map((w) => w.close({ timeout: 500 })));
      await app.close();
    });

    test('revoking 55,000 ids in four batches keeps the newest 50,000 in the broker, in a running worker and in one started later', async () => {
      expect(REVOKES_MAX).toBe(50_000);
      const running = app.worker();
      workers.push(running);
      await running.start();

      // NOTE: ids revoked in the same millisecond are dropped in the order of their names (Celery's tie-break too);
      // the names here sort in the order the batches are sent, so the expected survivors do not depend on timing.
      const first = ids('a', 5_000);
      const rest = [ids('b', 15_000), ids('c', 20_000), ids('d', 15_000)];
      for (const batch of [first, ...rest]) await app.revoke(batch);
      // The oldest 5,000 went.
      const dropped = first;
      const kept = rest.flat().sort();

      const stored = (await app.broker.revoked()).map((r) => r.id);
      expect(stored).toHaveLength(REVOKES_MAX);
      expect(new Set(stored)).toEqual(new Set(kept));

      await until('the running worker to hear the last batch', () => running.isRevoked('d-14999'));
      expect(dropped.some((id) => running.isRevoked(id))).toBe(false);
      expect(kept.every((id) => running.isRevoked(id))).toBe(true);

      const later = app.worker();
      workers.push(later);
      await later.start();
      expect(dropped.some((id) => later.isRevoked(id))).toBe(false);
      expect(kept.every((id) => later.isRevoked(id))).toBe(true);

      // Revoking an old id again makes it the newest: the next one to go is the oldest other id (b-1).
      await app.revoke([kept[0]!]);
      await app.revoke(['e-one-more']);
      const after = new Set((await app.broker.revoked()).map((r) => r.id));
      expect(after.size).toBe(REVOKES_MAX);
      expect(after.has(kept[0]!)).toBe(true);
      expect(after.has('e-one-more')).toBe(true);
      expect(after.has(kept[1]!)).toBe(false);
      await until('the running worker to hear the last revoke', () => running.isRevoked('e-one-more'));
      expect(running.isRevoked(kept[0]!)).toBe(true);
      expect(running.isRevoked(kept[1]!)).toBe(false);
    });
  });
}
