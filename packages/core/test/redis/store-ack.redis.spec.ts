// A task's final state and its ack are one step when the result backend is the broker's Redis (store-0.lua):
// whoever sees the result sees the message acked, and a STARTED stored earlier never lands after it.
import { consoleLogger, createApp } from '../../src';
import { celeriacKeys, celeryKeys } from '../../src/redis/keys';
import { ownRedis } from '../support/own-redis';

const own = ownRedis();

describe('on Redis, the final state and the ack in one step', () => {
  it('when SUCCESS is published, the message has already left the unacked hash', async () => {
    const url = await own.freshUrl();
    const db = Number(new URL(url).pathname.slice(1));
    const app = createApp('together', { broker: url, logger: consoleLogger('silent') });
    const listener = own.redis.client();
    const checker = own.redis.client();
    try {
      const add = app.task('together.add', (a: number, b: number) => a + b);
      // NOTE: one message held at a time, so the hash holds only the task being settled.
      const w = app.worker({ concurrency: 1, prefetchMultiplier: 1 });
      expect(w.storeAndAck).not.toBeNull();
      await w.start();
      await listener.select(db);
      await checker.select(db);
      const held: number[] = [];
      let heard: (() => void) | null = null;
      listener.on('pmessage', (_p: string, _channel: string, message: string) => {
        if ((JSON.parse(message) as { status: string }).status !== 'SUCCESS') return;
        // NOTE: sent the moment SUCCESS is heard; Redis runs it after the script that published it.
        void checker.hlen(celeriacKeys.unacked(w.id)).then((h) => {
          held.push(h);
          heard?.();
        });
      });
      await listener.psubscribe(`${celeryKeys.taskMeta('')}*`);
      for (let i = 0; i < 20; i++) {
        const checked = new Promise<void>((resolve) => (heard = resolve));
        const r = await add.delay(i, 1);
        expect(await r.get({ timeout: 5_000 })).toBe(i + 1);
        await checked;
      }
      // NOTE: stored, then acked one round trip later (as with results elsewhere), the hash would still hold it here.
      expect(held).toEqual(Array.from({ length: 20 }, () => 0));
    } finally {
      // NOTE: listener and checker are disconnected with the server (own-redis).
      await app.close();
    }
  });

  it('under load every task ends SUCCESS: no STARTED lands after it', async () => {
    const url = await own.freshUrl();
    const app = createApp('order', { broker: url, logger: consoleLogger('silent') });
    try {
      const echo = app.task('order.echo', async (i: number) => i);
      const w = app.worker({ concurrency: 50 });
      await w.start();
      const sent = await app.sendMany(Array.from({ length: 2_000 }, (_, i) => ({ task: 'order.echo', args: [i] })));
      const values = await Promise.all(sent.map((r) => r.get({ timeout: 30_000 })));
      expect(values).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
      await w.onIdle();
      const states = await Promise.all(sent.map((r) => r.state()));
      expect(states.filter((s) => s !== 'SUCCESS')).toEqual([]);
      expect(await own.admin.hlen(celeriacKeys.unacked(w.id))).toBe(0);
      void echo;
    } finally {
      await app.close();
    }
  });

  it('with results in another database (another connection) it stores, then acks, as before', async () => {
    const url = await own.freshUrl();
    const results = own.redis.url(Number(new URL(url).pathname.slice(1)) === 15 ? 14 : 15);
    const app = createApp('apart', { broker: url, backend: results, logger: consoleLogger('silent') });
    try {
      const add = app.task('apart.add', (a: number, b: number) => a + b);
      const w = app.worker({ concurrency: 2 });
      expect(w.storeAndAck).toBeNull();
      await w.start();
      expect(await (await add.delay(2, 3)).get({ timeout: 5_000 })).toBe(5);
      await w.onIdle();
      expect(await own.admin.hlen(celeriacKeys.unacked(w.id))).toBe(0);
    } finally {
      await app.close();
    }
  });
});
