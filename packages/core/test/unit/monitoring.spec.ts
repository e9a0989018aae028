// Monitoring on a broker that cannot carry Celery's events (memory:// here; amqp:// takes the same path): asking
// for task events is a clear error naming the setting and the broker, never silence.
import { ConfigurationError, createApp } from '../../src';
import { answer, addressedTo } from '../../src/worker/remote-control';
import { setTransportLoader } from '../../src/transports';
import { loadDashboard } from '../../src/cli/commands/dashboard';

describe('task events on a broker without them', () => {
  it('a worker with sendTaskEvents (-E) refuses to start, naming the setting and the broker', async () => {
    const app = createApp('m', { broker: 'memory://' });
    expect(() => app.worker({ sendTaskEvents: true })).toThrow(ConfigurationError);
    expect(() => app.worker({ sendTaskEvents: true })).toThrow(/`workerSendTaskEvents` needs a broker that carries Celery's events.*memory:\/\/ does not support them yet/);
    await app.close();
  });

  it('workerSendTaskEvents in the settings does the same; without it the worker runs', async () => {
    const app = createApp('m', { broker: 'memory://', workerSendTaskEvents: true });
    expect(() => app.worker()).toThrow(/workerSendTaskEvents/);
    const plain = createApp('p', { broker: 'memory://' });
    const w = plain.worker();
    await w.start();
    await w.close();
    await app.close();
    await plain.close();
  });

  it('taskSendSentEvent makes delay() reject before anything is sent', async () => {
    const app = createApp('m', { broker: 'memory://', taskSendSentEvent: true });
    const add = app.task('add', (a: number, b: number) => a + b);
    await expect(add.delay(1, 2)).rejects.toThrow(/`taskSendSentEvent` needs a broker/);
    expect(await app.broker.queueLength('celery')).toBe(0);
    await app.close();
  });

  it('the settings are checked like every other', () => {
    expect(() => createApp('m', { eventHistoryMax: -1 })).toThrow(/eventHistoryMax/);
    expect(() => createApp('m', { workerSendTaskEvents: 'yes' as unknown as boolean })).toThrow(/workerSendTaskEvents/);
  });
});

describe('remote control replies', () => {
  const host = {
    hostname: 'a@h',
    concurrency: 2,
    prefetchMultiplier: 4,
    startedAt: Date.now() - 5_000,
    processed: 3,
    totals: new Map([['add', 3]]),
    brokerUrl: 'redis://127.0.0.1:6379/0',
    jobs: () => ({ active: [], reserved: [], scheduled: [] }),
    registered: () => ['add'],
    revokedIds: () => ['x'],
    setTaskEvents: () => false,
  };

  it('answers as Celery does, stays silent to hello, and names what it does not support', () => {
    expect(answer(host, { method: 'ping', arguments: {} })).toEqual({ ok: 'pong' });
    expect(answer(host, { method: 'registered', arguments: {} })).toEqual(['add']);
    expect(answer(host, { method: 'revoked', arguments: {} })).toEqual(['x']);
    expect(answer(host, { method: 'stats', arguments: {} })).toMatchObject({ total: { add: 3 }, prefetch_count: 8, pool: { 'max-concurrency': 2 } });
    expect(answer(host, { method: 'hello', arguments: {} })).toBeUndefined();
    expect(answer(host, { method: 'enable_events', arguments: {} })).toEqual({ error: 'this broker cannot carry task events' });
    expect(answer(host, { method: 'pool_grow', arguments: {} })).toEqual({ error: 'No such command: pool_grow (not supported by celeriac)' });
  });

  it('acts only on commands addressed to it', () => {
    expect(addressedTo({ method: 'ping', arguments: {} }, 'a@h')).toBe(true);
    expect(addressedTo({ method: 'ping', arguments: {}, destination: ['b@h'] }, 'a@h')).toBe(false);
    expect(addressedTo({ method: 'ping', arguments: {}, destination: ['a@h'] }, 'a@h')).toBe(true);
  });
});

describe('celeriac dashboard without @celeriac/dashboard', () => {
  afterEach(() => setTransportLoader(null));

  it('is a clear error naming the package and how to install it', () => {
    setTransportLoader((id) => {
      const err = new Error(`Cannot find module '${id}'`) as Error & { code: string };
      err.code = 'MODULE_NOT_FOUND';
      throw err;
    });
    expect(() => loadDashboard()).toThrow(ConfigurationError);
    expect(() => loadDashboard()).toThrow('celeriac dashboard needs the package @celeriac/dashboard, which is not installed: npm install @celeriac/dashboard');
  });

  it('a package that exports no createDashboard() is named too', () => {
    setTransportLoader(() => ({}));
    expect(() => loadDashboard()).toThrow('@celeriac/dashboard exports no createDashboard()');
  });
});
