// A worker waiting on a rate limit does not poll Redis: every command is watched with MONITOR on a server of
// the test's own, and counted.
import { consoleLogger, createApp } from '../../src';
import { until } from '../conformance/harness';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis({ own: true });
});
afterAll(async () => {
  await redis.stop();
});

test("a worker waiting on globalRateLimit '2/s' reserves one slot per task and sends Redis only a few commands a second beyond its tasks", async () => {
  const url = redis.url(1);
  const app = createApp('count', { broker: url, logger: consoleLogger('silent') });
  const starts: number[] = [];
  const limited = app.task('cnt.limited', () => void starts.push(Date.now()), { globalRateLimit: '2/s', ignoreResult: true });
  const worker = app.worker({ concurrency: 4 });
  await worker.start();
  await new Promise((r) => setTimeout(r, 300));

  const monitor = await redis.client().monitor();
  const commands: string[][] = [];
  // NOTE: MONITOR also shows the commands a Lua script runs; ioredis sends names in lower case, our scripts in upper.
  monitor.on('monitor', (_time: string, args: string[]) => {
    if (args[0] && args[0] === args[0].toLowerCase()) commands.push(args);
  });
  const tasks = 8;
  for (let i = 0; i < tasks; i++) await limited.delay();
  const t0 = Date.now();
  await until(() => starts.length === tasks, 15_000);
  const seconds = (Date.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 100));
  await monitor.disconnect();
  await worker.close();
  await app.close();

  const rateCalls = commands.filter((c) => c.includes('celeriac.rate.cnt.limited')).length;
  const sends = commands.filter((c) => c[0]?.toLowerCase() === 'lpush').length;
  // NOTE: per task, besides its send: one reservation, one park in the delayed set, one promotion, a fetch, an ack
  // and a peek that wakes the fetcher. Waiting itself costs nothing: the slots are timers in the worker.
  const perTask = (commands.length - sends) / tasks;
  process.stdout.write(`global rate limit: ${commands.length} commands in ${seconds.toFixed(1)} s for ${tasks} tasks (${rateCalls} reservations, ${perTask.toFixed(1)} per task)\n`);
  expect(seconds).toBeGreaterThanOrEqual(((tasks - 1) / 2) * 0.9);
  expect(rateCalls).toBe(tasks);
  expect(commands.length - sends).toBeLessThanOrEqual(tasks * 7 + 3 * seconds);
});
