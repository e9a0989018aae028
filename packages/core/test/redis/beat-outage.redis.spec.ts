// A beat and an unreachable Redis: start() fails within the connection timeout naming the URL; a Redis that goes
// away while the beat runs is one ERROR line, then one INFO line when it is back, and the schedule goes on.
import { createApp, every, type Logger } from '@celeriac/core';
import { freePort, startRedis } from '../support/redis-server';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: string) => (m: string) => void lines.push(`${level} ${m}`);
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

it('start() on a Redis nobody listens on rejects within the connection timeout, naming the URL', async () => {
  const port = await freePort();
  const app = createApp('beat-down', { broker: `redis://:pw@127.0.0.1:${port}/0`, brokerConnectionTimeout: 500, logger: memoryLogger() });
  app.addPeriodicTask('tick', { task: 't', schedule: every('1s') });
  const t0 = Date.now();
  try {
    const err = await app.beat().start().then(
      () => null,
      (e: unknown) => e as Error,
    );
    expect(err).not.toBeNull();
    expect(err!.message).toContain(`127.0.0.1:${port}`);
    expect(err!.message).not.toContain('pw');
    expect(Date.now() - t0).toBeLessThan(5_000);
  } finally {
    await app.close();
  }
});

it('Redis killed while the beat runs: one ERROR, one INFO when back, and the schedule goes on', async () => {
  const server = await startRedis({ own: true, appendonly: true });
  const logger = memoryLogger();
  const app = createApp('beat-outage', { broker: server.url(0), brokerConnectionTimeout: 500, logger });
  const redis = server.client();
  try {
    app.addPeriodicTask('tick', { task: 't', schedule: every(300), options: { queue: 'outq' } });
    const beat = app.beat();
    await beat.start();
    await sleep(700);
    await server.kill();
    await sleep(2_000);
    await server.restart();
    const back = Date.now();
    while (!logger.lines.some((l) => l.startsWith('info beat: the store is reachable again')) && Date.now() - back < 8_000) await sleep(100);
    const before = await redis.llen('outq');
    await sleep(800);
    expect(await redis.llen('outq')).toBeGreaterThan(before);
    await beat.close();
    expect(logger.lines.filter((l) => l.startsWith('error beat:'))).toHaveLength(1);
    expect(logger.lines.filter((l) => l.startsWith('info beat: the store is reachable again'))).toHaveLength(1);
  } finally {
    await app.close();
    await server.stop();
  }
});
