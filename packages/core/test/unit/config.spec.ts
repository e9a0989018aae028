import { ConfigurationError, DEFAULT_SETTINGS, createApp, redactUrl, type AppConfig } from '@celeriac/core';
import { createTestApp } from '@celeriac/core/testing';
import { settingsFromEnv } from '../../src/config';
import { errorOf } from '../support/rejection';

// The one shape of every option error: Expected `name` to be …, got `value` (type)
const SHAPE = /^Expected `[^`]+` to be .+, got `.*` \((string|number|boolean|object|null|undefined|bigint|symbol|function)\)$/;

describe('settings defaults', () => {
  it('are Celery-like and documented', () => {
    const app = createApp('defaults');
    expect(app.settings).toEqual(DEFAULT_SETTINGS);
    expect(app.settings.brokerUrl).toBe('memory://');
    expect(app.settings.resultBackend).toBeNull();
    expect(app.settings.resultExpires).toBe(86_400_000);
    expect(app.settings.taskDefaultQueue).toBe('celery');
    expect(app.settings.taskRoutes).toEqual({});
    expect(app.settings.taskTrackStarted).toBe(true);
    expect(app.settings.taskIgnoreResult).toBe(false);
    expect(app.settings.taskMaxRetries).toBe(3);
    expect(app.settings.taskDefaultRetryDelay).toBe(180_000);
    expect(app.settings.taskTimeLimit).toBeNull();
    expect(app.settings.taskMessageMaxSize).toBe(10 * 1024 * 1024);
    expect(app.settings.taskAlwaysEager).toBe(false);
    expect(app.settings.workerConcurrency).toBe(10);
    expect(app.settings.workerPrefetchMultiplier).toBe(4);
  });

  it('DEFAULT_SETTINGS cannot be mutated', () => {
    expect(Object.isFrozen(DEFAULT_SETTINGS)).toBe(true);
  });

  it('the result backend defaults to the broker URL', async () => {
    const url = `memory://defaults-${process.pid}`;
    const plain = createApp('plain', { broker: url });
    expect(plain.settings.resultBackend).toBeNull();
    expect(plain.backend.url).toBe(url);
    expect(plain.broker.url).toBe(url);
    await plain.close();
  });
});

describe('createApp(name, { broker, backend, ...settings })', () => {
  it('maps the broker / backend shortcuts to brokerUrl / resultBackend', () => {
    const app = createApp('shop', { broker: 'redis://127.0.0.1:6379/0', backend: 'redis://127.0.0.1:6379/1' });
    expect(app.name).toBe('shop');
    expect(app.settings.brokerUrl).toBe('redis://127.0.0.1:6379/0');
    expect(app.settings.resultBackend).toBe('redis://127.0.0.1:6379/1');
  });

  it('passes every other setting by its camelCase name', () => {
    const app = createApp('shop', { workerConcurrency: 3, taskRoutes: { 'users.*': 'mail' }, resultExpires: 1000, taskTrackStarted: false });
    expect(app.settings.workerConcurrency).toBe(3);
    expect(app.settings.taskRoutes).toEqual({ 'users.*': 'mail' });
    expect(app.settings.resultExpires).toBe(1000);
    expect(app.settings.taskTrackStarted).toBe(false);
    // untouched settings keep their defaults
    expect(app.settings.workerPrefetchMultiplier).toBe(4);
  });

  it('refuses a shortcut and its long name together', () => {
    expect(() => createApp('x', { broker: 'memory://', brokerUrl: 'memory://' })).toThrow(ConfigurationError);
    expect(() => createApp('x', { backend: 'memory://', resultBackend: 'memory://' })).toThrow(ConfigurationError);
  });

  it('refuses an empty name', () => {
    const err = errorOf(() => createApp(''));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toMatch(SHAPE);
    expect(err.message).toContain('`name`');
  });

  it.each<[string, AppConfig, string]>([
    ['a string for a number', { workerConcurrency: '10' as unknown as number }, 'Expected `workerConcurrency` to be an integer >= 1, got `"10"` (string)'],
    ['zero concurrency', { workerConcurrency: 0 }, 'Expected `workerConcurrency` to be an integer >= 1, got `0` (number)'],
    ['a fraction', { workerPrefetchMultiplier: 1.5 }, 'Expected `workerPrefetchMultiplier` to be an integer >= 1, got `1.5` (number)'],
    ['NaN', { resultExpires: NaN }, 'Expected `resultExpires` to be an integer >= 1, got `NaN` (number)'],
    ['negative retry delay', { taskDefaultRetryDelay: -1 }, 'Expected `taskDefaultRetryDelay` to be an integer >= 0, got `-1` (number)'],
    ['a string for a boolean', { taskTrackStarted: 'yes' as unknown as boolean }, 'Expected `taskTrackStarted` to be a boolean, got `"yes"` (string)'],
    ['null for a string', { taskDefaultQueue: null as unknown as string }, 'Expected `taskDefaultQueue` to be a non-empty string, got `null` (null)'],
    ['an empty queue name', { taskDefaultQueue: '' }, 'Expected `taskDefaultQueue` to be a non-empty string, got `""` (string)'],
    ['a number for a URL', { broker: 42 as unknown as string }, 'Expected `brokerUrl` to be a URL string, got `42` (number)'],
    ['routes as an array', { taskRoutes: [] as unknown as Record<string, string> }, 'Expected `taskRoutes` to be an object of task name → queue, got `` (object)'],
  ])('validation error in the one shape: %s', (_what, config, message) => {
    const err = errorOf(() => createApp('x', config));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toBe(message);
    expect(err.message).toMatch(SHAPE);
  });

  it('names the route that is malformed', () => {
    const err = errorOf(() => createApp('x', { taskRoutes: { 'users.*': 5 as unknown as string } }));
    expect(err.message).toBe('Expected `taskRoutes["users.*"]` to be a queue name or { queue, priority }, got `5` (number)');
  });

  it('refuses a URL that is not a URL, and an unsupported scheme (password hidden)', () => {
    const bad = errorOf(() => createApp('x', { broker: 'localhost:6379' }));
    // "localhost:" parses as a scheme: unsupported scheme
    expect(bad).toBeInstanceOf(ConfigurationError);
    const notUrl = errorOf(() => createApp('x', { broker: 'not a url' }));
    expect(notUrl.message).toMatch(SHAPE);
    expect(notUrl.message).toContain('`brokerUrl`');
    const kafka = errorOf(() => createApp('x', { broker: 'kafka://guest:hunter2@rabbit:9092' }));
    expect(kafka.message).toContain('kafka:');
    expect(kafka.message).toContain('memory://, redis://, rediss://, sentinel://, or amqp://');
    expect(kafka.message).not.toContain('hunter2');
  });

  it('a Redis URL whose database is not a number is a ConfigurationError naming the URL (password hidden)', () => {
    for (const [url, db] of [
      ['redis://h:6379/7x', '7x'],
      ['redis://:hunter2@h:6379/a/b', 'a/b'],
      ['rediss://h:6379/-1', '-1'],
    ]) {
      const err = errorOf(() => createApp('x', { broker: url }));
      expect(err).toBeInstanceOf(ConfigurationError);
      expect(err.message).toBe(
        `\`brokerUrl\` (${url.replace('hunter2', '***')}) has the database "${db}"; a Redis URL ends in a database number, e.g. redis://127.0.0.1:6379/0`,
      );
    }
    const backend = errorOf(() => createApp('x', { backend: 'redis://h:6379/1.5' }));
    expect(backend.message).toMatch(/^`resultBackend` \(redis:\/\/h:6379\/1\.5\) has the database "1\.5"/);
    const later = errorOf(() => createApp('x').configure({ brokerUrl: 'redis://h/db0' }));
    expect(later.message).toContain('has the database "db0"');
    for (const ok of ['redis://h', 'redis://h/', 'redis://h:6379/0', 'redis://h:6379/15', 'rediss://:pw@h:6380/99']) {
      expect(createApp('x', { broker: ok }).settings.brokerUrl).toBe(ok);
    }
  });

  it('accepts rediss:// and a null backend', () => {
    const app = createApp('x', { broker: 'rediss://:pw@example.com:6380/2', resultBackend: null });
    expect(app.settings.brokerUrl).toBe('rediss://:pw@example.com:6380/2');
    expect(app.settings.resultBackend).toBeNull();
  });

  it('an unknown setting is a ConfigurationError with "Did you mean"', () => {
    const err = errorOf(() => createApp('x', { workerConcurency: 5 } as unknown as AppConfig));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toBe('Unknown setting `workerConcurency`. Did you mean `workerConcurrency`?');
  });

  it('an unknown setting far from every name has no hint', () => {
    const err = errorOf(() => createApp('x', { zzzzzzzzzzzz: 1 } as unknown as AppConfig));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toBe('Unknown setting `zzzzzzzzzzzz`');
  });
});

describe('app.configure()', () => {
  it('validates like the constructor', () => {
    const app = createApp('x');
    expect(() => app.configure({ workerConcurrency: -2 })).toThrow('Expected `workerConcurrency` to be an integer >= 1, got `-2` (number)');
    expect(() => app.configure({ taskDefaultQueu: 'x' } as never)).toThrow('Did you mean `taskDefaultQueue`?');
    app.configure({ workerConcurrency: 2 });
    expect(app.settings.workerConcurrency).toBe(2);
  });

  it('throws once the app has connected to its broker', async () => {
    const app = createTestApp('connected');
    const add = app.task('t.add', (a: number, b: number) => a + b);
    await add.delay(1, 2);
    expect(() => app.configure({ workerConcurrency: 2 })).toThrow(ConfigurationError);
    expect(() => app.configure({ workerConcurrency: 2 })).toThrow(/cannot change after the app has connected/);
    expect(() => app.configFromEnv('CELERIAC', { CELERIAC_WORKER_CONCURRENCY: '2' })).toThrow(ConfigurationError);
    expect(app.settings.workerConcurrency).toBe(10);
    await app.close();
  });

  it('throws once the result backend was used', async () => {
    const app = createTestApp('backend-used');
    await app.asyncResult('some-id').state();
    expect(() => app.configure({ resultExpires: 5 })).toThrow(ConfigurationError);
    await app.close();
  });
});

describe('app.configFromEnv(namespace, env)', () => {
  it('maps CELERIAC_BROKER_URL → brokerUrl, numbers, booleans and JSON routes', () => {
    const app = createApp('env').configFromEnv('CELERIAC', {
      CELERIAC_BROKER_URL: 'redis://127.0.0.1:6379/3',
      CELERIAC_RESULT_BACKEND: 'redis://127.0.0.1:6379/4',
      CELERIAC_WORKER_CONCURRENCY: '7',
      CELERIAC_TASK_TRACK_STARTED: 'false',
      CELERIAC_TASK_ALWAYS_EAGER: 'yes',
      CELERIAC_TASK_IGNORE_RESULT: '1',
      CELERIAC_TASK_ROUTES: '{"users.*": "mail", "orders.ship": {"queue": "ship", "priority": 6}}',
      CELERIAC_TASK_TIME_LIMIT: '',
      UNRELATED: 'x',
      CELERIACX_NOT_OURS: 'x',
    });
    expect(app.settings.brokerUrl).toBe('redis://127.0.0.1:6379/3');
    expect(app.settings.resultBackend).toBe('redis://127.0.0.1:6379/4');
    expect(app.settings.workerConcurrency).toBe(7);
    expect(typeof app.settings.workerConcurrency).toBe('number');
    expect(app.settings.taskTrackStarted).toBe(false);
    expect(app.settings.taskAlwaysEager).toBe(true);
    expect(app.settings.taskIgnoreResult).toBe(true);
    expect(app.settings.taskTimeLimit).toBeNull();
    expect(app.settings.taskRoutes).toEqual({ 'users.*': 'mail', 'orders.ship': { queue: 'ship', priority: 6 } });
    expect(app.route('users.send')).toEqual({ queue: 'mail', priority: 0 });
    expect(app.route('orders.ship')).toEqual({ queue: 'ship', priority: 6 });
  });

  it('accepts a namespace given with its trailing underscore, and other namespaces', () => {
    expect(settingsFromEnv('SHOP_', { SHOP_WORKER_CONCURRENCY: '3', CELERIAC_WORKER_CONCURRENCY: '9' })).toEqual({ workerConcurrency: 3 });
  });

  it('reads process.env by default', () => {
    const before = process.env.CELERIACTEST_WORKER_PREFETCH_MULTIPLIER;
    process.env.CELERIACTEST_WORKER_PREFETCH_MULTIPLIER = '2';
    try {
      expect(createApp('x').configFromEnv('CELERIACTEST').settings.workerPrefetchMultiplier).toBe(2);
    } finally {
      if (before === undefined) delete process.env.CELERIACTEST_WORKER_PREFETCH_MULTIPLIER;
      else process.env.CELERIACTEST_WORKER_PREFETCH_MULTIPLIER = before;
    }
  });

  it('an unknown key is an error naming the key, with a hint', () => {
    const err = errorOf(() => createApp('x').configFromEnv('CELERIAC', { CELERIAC_WORKER_CONCURENCY: '4' }));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toContain('CELERIAC_WORKER_CONCURENCY');
    expect(err.message).toContain('Did you mean CELERIAC_WORKER_CONCURRENCY?');
  });

  it('an unknown key without a close match still names the key', () => {
    const err = errorOf(() => createApp('x').configFromEnv('CELERIAC', { CELERIAC_FAVOURITE_COLOUR_OF_THE_DAY: 'blue' }));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toBe('Unknown environment variable CELERIAC_FAVOURITE_COLOUR_OF_THE_DAY');
  });

  it.each([
    ['CELERIAC_WORKER_CONCURRENCY', 'ten', /whole number/],
    ['CELERIAC_WORKER_CONCURRENCY', '-3', /whole number/],
    ['CELERIAC_WORKER_CONCURRENCY', '2.5', /whole number/],
    ['CELERIAC_WORKER_CONCURRENCY', '0', /integer >= 1/],
    ['CELERIAC_TASK_TRACK_STARTED', 'maybe', /boolean/],
    ['CELERIAC_TASK_ROUTES', '{users: mail}', /JSON/],
    ['CELERIAC_TASK_ROUTES', '["mail"]', /object of task name/],
    ['CELERIAC_BROKER_URL', 'not a url', /URL/],
    ['CELERIAC_TASK_DEFAULT_QUEUE', '', /non-empty string/],
  ])('a malformed value names the key: %s=%j', (key, value, why) => {
    const err = errorOf(() => createApp('x').configFromEnv('CELERIAC', { [key]: value }));
    expect(err).toBeInstanceOf(ConfigurationError);
    expect(err.message).toContain(key);
    expect(err.message).toMatch(why);
  });

  it('a malformed value leaves the settings untouched', () => {
    const app = createApp('x');
    expect(() => app.configFromEnv('CELERIAC', { CELERIAC_WORKER_PREFETCH_MULTIPLIER: '2', CELERIAC_WORKER_CONCURRENCY: 'ten' })).toThrow();
    expect(app.settings.workerPrefetchMultiplier).toBe(4);
    expect(app.settings.workerConcurrency).toBe(10);
  });

  it('a malformed broker URL from the env does not leak its password', () => {
    const err = errorOf(() => createApp('x').configFromEnv('CELERIAC', { CELERIAC_BROKER_URL: 'kafka://u:s3cret@host//' }));
    expect(err.message).toContain('CELERIAC_BROKER_URL');
    expect(err.message).not.toContain('s3cret');
  });
});

describe('redactUrl', () => {
  it.each([
    ['redis://:s3cret@127.0.0.1:6379/0', 'redis://:***@127.0.0.1:6379/0'],
    ['redis://user:s3cret@redis.example.com:6379/1', 'redis://user:***@redis.example.com:6379/1'],
    ['rediss://default:p%40ss@host:6380', 'rediss://default:***@host:6380'],
    ['redis://127.0.0.1:6379/0', 'redis://127.0.0.1:6379/0'],
    ['memory://', 'memory://'],
  ])('%s → %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it('hides the password of a string that is not a valid URL too', () => {
    const shown = redactUrl('redis://user:s3cret@bad host:6379');
    expect(shown).not.toContain('s3cret');
    expect(shown).toContain('user:***@');
  });
});
