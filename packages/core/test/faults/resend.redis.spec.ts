// The connection drops after Redis ran a worker's fetch script but before its reply arrived; ioredis
// reconnects and sends the same script again. The second run must hand back the batch the first one took
// (the same tags), not take a second batch under those tags, overwriting, and so losing, the first.
import { createServer, connect, type Server, type Socket } from 'node:net';
import type Redis from 'ioredis';
import { createApp, type Celeriac } from '@celeriac/core';
import { freePort, startRedis, type RedisServer } from '../support/redis-server';
import { report } from './chaos-support';

const QUEUE = 'faults.resend';

/** A TCP proxy to Redis that, once armed, forwards the next request containing `marker`, then cuts both sides before the reply. */
async function cuttingProxy(target: number): Promise<{ port: number; arm(marker: string): Promise<void>; close(): Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let armed: { marker: string; cut: () => void } | null = null;
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    sockets.add(client).add(upstream);
    let swallow = false;
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (b: Buffer) => {
      if (armed && b.includes(armed.marker)) {
        const { cut } = armed;
        armed = null;
        swallow = true;
        upstream.write(b);
        setTimeout(() => {
          end();
          cut();
        }, 100); // Redis has run it by then; its reply is dropped
        return;
      }
      upstream.write(b);
    });
    upstream.on('data', (b: Buffer) => {
      if (!swallow) client.write(b);
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return {
    port,
    arm: (marker) => new Promise<void>((cut) => (armed = { marker, cut })),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('a fetch resent after its reply was lost', () => {
  let server: RedisServer;
  let redis: Redis;
  let app: Celeriac;
  let proxy: Awaited<ReturnType<typeof cuttingProxy>>;

  beforeAll(async () => {
    server = await startRedis({ own: true });
    redis = server.client();
    proxy = await cuttingProxy(server.port);
    app = createApp('faults-resend', { broker: `redis://127.0.0.1:${proxy.port}/0`, brokerConnectionTimeout: 5_000 });
  });

  afterAll(async () => {
    await app?.close();
    await proxy?.close();
    await server?.stop();
  });

  it('gets back the first batch; no message is lost', async () => {
    const consumer = app.broker.consumer({ queues: [QUEUE], workerId: 'resend-test', heartbeatTimeout: 60_000 });
    // Warm up: the script is loaded (a first EVALSHA would answer NOSCRIPT and prove nothing).
    await app.sendTask('chaos.work', ['warm', 0], { queue: QUEUE });
    const [warm] = await consumer.fetch(1);
    await consumer.ack(warm!);

    const sent = [];
    for (let i = 0; i < 4; i++) sent.push((await app.sendTask('chaos.work', [`m${i}`, 0], { queue: QUEUE })).id);
    const cut = proxy.arm('celeriac.unacked.resend-test');
    const got = await consumer.fetch(2);
    await cut;

    const idOf = (raw: string) => (JSON.parse(raw) as { headers: { id: string } }).headers.id;
    const held = await redis.hgetall('celeriac.unacked.resend-test');
    const queued = (await redis.lrange(QUEUE, 0, -1)).map(idOf);
    const heldIds = Object.values(held).map((v) => idOf(v.slice(v.indexOf('\n') + 1)));
    report('faults/fetch-resend', { sent: sent.length, delivered: got.length, held: heldIds.length, queued: queued.length, lost: sent.filter((id) => !queued.includes(id) && !heldIds.includes(id)).length });

    // The two delivered are the two held; the other two are still queued: all four accounted for.
    expect(got.map((d) => idOf(d.raw)).sort()).toEqual([...heldIds].sort());
    expect(new Set([...heldIds, ...queued])).toEqual(new Set(sent));
    expect(heldIds.length + queued.length).toBe(4);
    await consumer.requeue(got);
    await consumer.stop();
  }, 30_000);
});
