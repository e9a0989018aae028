// What a worker logs, captured through a Logger object of the test's own: task outcomes, and a Redis outage
// (a real redis-server killed and restarted) as one line when it starts and one when it ends.
import { createApp, type Celeriac, type Logger } from '../../src';
import { startRedis, type RedisServer } from '../support/redis-server';

interface Line {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
}

function capture(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (message: string) => void lines.push({ level, message });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), isLevelEnabled: () => true } };
}

async function until(what: string, cond: () => boolean, timeout = 20_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let redis: RedisServer;
let app: Celeriac;

beforeAll(async () => {
  redis = await startRedis({ own: true });
});
afterEach(async () => {
  await app?.close();
});
afterAll(async () => {
  await redis.stop();
});

test('success at INFO with its runtime, failure at ERROR with its stack, retry with its reason and countdown, received/started at DEBUG', async () => {
  const { logger, lines } = capture();
  app = createApp('logs', { broker: redis.url(1), logger });
  const ok = app.task('logs.ok', () => 1);
  const bad = app.task('logs.bad', () => {
    throw new RangeError('amount must be positive');
  });
  const flaky = app.task('logs.flaky', (ctx) => (ctx.retries ? 'ok' : ctx.retry({ countdown: 50, exc: new Error('upstream timeout') })), { bind: true });
  const worker = app.worker({ logger });
  await worker.start();
  const a = await ok.delay();
  await a.get({ timeout: 10_000 });
  const b = await bad.delay();
  await expect(b.get({ timeout: 10_000 })).rejects.toThrow('amount must be positive');
  const c = await flaky.delay();
  await expect(c.get({ timeout: 10_000 })).resolves.toBe('ok');
  await worker.close();

  const find = (level: Line['level'], re: RegExp) => lines.filter((l) => l.level === level && re.test(l.message));
  expect(find('debug', new RegExp(`^Task logs\\.ok\\[${a.id}\\] received$`))).toHaveLength(1);
  expect(find('debug', new RegExp(`^Task logs\\.ok\\[${a.id}\\] started$`))).toHaveLength(1);
  expect(find('info', new RegExp(`^Task logs\\.ok\\[${a.id}\\] succeeded in \\d+\\.\\d{3}s$`))).toHaveLength(1);
  const [failure] = find('error', new RegExp(`^Task logs\\.bad\\[${b.id}\\] failed in \\d+\\.\\d{3}s: RangeError: amount must be positive\\n`));
  expect(failure?.message).toMatch(/\n\s+at .*worker-logs\.redis\.spec\.ts:\d+:\d+/); // the stack, down to the task's line
  expect(lines.filter((l) => l.level === 'warn' && l.message.includes(b.id))).toEqual([]);
  expect(find('info', new RegExp(`^Task logs\\.flaky\\[${c.id}\\] retry in 50ms \\(retry 1\\): Error: upstream timeout$`))).toHaveLength(1);
});

test('a Redis outage is logged once when it starts and once when it ends ("reconnected"), not per failed command', async () => {
  const { logger, lines } = capture();
  app = createApp('outage', {
    broker: redis.url(2),
    logger,
    brokerConnectionTimeout: 500,
    workerHeartbeatInterval: 200,
    workerHeartbeatTimeout: 5_000,
  });
  const ping = app.task('outage.ping', () => 'pong');
  const worker = app.worker({ queues: ['celery', 'other'], logger });
  await worker.start();
  const lost = () => lines.filter((l) => /lost the broker/.test(l.message));
  const back = () => lines.filter((l) => /reconnected/.test(l.message));
  const hidden = () => lines.filter((l) => l.level === 'debug' && /broker still away/.test(l.message));

  await redis.kill();
  await until('the outage line', () => lost().length > 0);
  // several heartbeats and fetches fail meanwhile (each used to be an ERROR line)
  await until('more failures', () => hidden().length >= 5);
  await redis.restart();
  await until('the reconnected line', () => back().length > 0);
  const res = await ping.delay();
  await expect(res.get({ timeout: 10_000 })).resolves.toBe('pong');
  await worker.close();

  expect(lost()).toHaveLength(1);
  expect(lost()[0]).toMatchObject({ level: 'error' });
  expect(lost()[0]!.message).toContain(`lost the broker at ${redis.url(2)}: `);
  expect(back()).toHaveLength(1);
  expect(back()[0]).toMatchObject({ level: 'info' });
  expect(back()[0]!.message).toMatch(new RegExp(`^reconnected to the broker at ${redis.url(2).replace(/[./]/g, '\\$&')} after \\d+\\.\\ds \\(\\d+ more error\\(s\\) while it was away\\)$`));
  expect(lines.filter((l) => l.level === 'error' || l.level === 'warn')).toEqual([lost()[0]]);
});
