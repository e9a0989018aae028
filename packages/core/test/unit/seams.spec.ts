// The seams integrations stand on: one producer, eager mode as a worker sees it, getTask, unregister,
// Nest-style loggers, broker/backend instances, and no import of the app from worker/.
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  ConfigurationError,
  NotRegisteredError,
  SerializationError,
  consoleLogger,
  createApp,
  fromNestLogger,
  type TaskContext,
} from '../../src';
import { MemoryBackend } from '../../src/backend/memory';
import { MemoryBroker } from '../../src/broker/memory';
import { createTestApp, drain } from '../../src/testing';

const silent = consoleLogger('silent');

describe('eager mode runs a task as a worker would', () => {
  const seenBy = (label: string, seen: Record<string, unknown>) => (ctx: TaskContext, when: unknown, opts?: unknown) => {
    seen[label] = { when, whenType: typeof when, opts, args: ctx.args };
    return { at: new Date(Date.UTC(2030, 0, 1)), big: [1, { n: undefined }] };
  };

  test('arguments, kwargs and the stored result go through JSON on a worker and eagerly alike', async () => {
    const seen: Record<string, unknown> = {};
    const date = new Date(Date.UTC(2026, 10, 30, 12, 0, 0));
    const eager = createTestApp('eager-json', { eager: true });
    const viaWorker = createTestApp('worker-json');
    for (const [label, app] of [['eager', eager], ['worker', viaWorker]] as const) {
      const t = app.task('t.when', seenBy(label, seen), { bind: true });
      const res = await t.applyAsync([date], { kwargs: { at: date, skip: undefined } });
      if (label === 'worker') await drain(app);
      expect(await res.get({ timeout: 5_000 })).toEqual({ at: '2030-01-01T00:00:00.000Z', big: [1, {}] });
      await app.close();
    }
    const expected = { when: '2026-11-30T12:00:00.000Z', whenType: 'string', opts: { at: '2026-11-30T12:00:00.000Z' }, args: ['2026-11-30T12:00:00.000Z'] };
    expect(seen).toEqual({ eager: expected, worker: expected });
  });

  test('a message over taskMessageMaxSize is refused eagerly too, and the task does not run', async () => {
    const app = createTestApp('eager-size', { eager: true, taskMessageMaxSize: 1_024 });
    let ran = false;
    const t = app.task('t.big', (_s: string) => void (ran = true));
    await expect(t.delay('x'.repeat(2_000))).rejects.toThrow(SerializationError);
    expect(ran).toBe(false);
    await app.close();
  });

  test('ignoreResult of a call is honoured eagerly, as on a worker', async () => {
    const app = createTestApp('eager-ignore', { eager: true });
    const t = app.task('t.ignored', () => 1);
    const res = await t.applyAsync([], { ignoreResult: true });
    expect(await res.meta()).toBeNull();
    expect(await (await t.delay()).meta()).toMatchObject({ status: 'SUCCESS', result: 1 });
    await app.close();
  });

  test('a direct call still runs inline with the live arguments', async () => {
    const app = createTestApp('direct');
    const t = app.task('t.direct', (d: Date) => d instanceof Date);
    expect(await t(new Date())).toBe(true);
    await app.close();
  });
});

describe('one producer', () => {
  test('a worker sends links and retries through app.producer', async () => {
    const app = createTestApp('producer', { taskDefaultRetryDelay: 0 });
    const calls: string[] = [];
    const publish = app.producer.publish.bind(app.producer);
    app.producer.publish = (msg) => {
      calls.push(`${msg.task}#${msg.retries}`);
      return publish(msg);
    };
    let tries = 0;
    const flaky = app.task('t.flaky', (ctx: TaskContext) => (++tries < 2 ? ctx.retry({ countdown: 0 }) : 'ok'), { bind: true });
    const after = app.task('t.after', (v: string) => v.toUpperCase());
    const res = await flaky.applyAsync([], { link: after.s() });
    await drain(app);
    expect(await res.get({ timeout: 5_000 })).toBe('ok');
    expect(calls).toEqual(['t.flaky#1', 't.after#0']);
    await app.close();
  });

  test('worker/ never imports the app (no import cycle)', () => {
    const dir = join(__dirname, '../../src/worker');
    for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((p) => p.endsWith('.ts'))) {
      const src = readFileSync(join(dir, f), 'utf8');
      // NOTE: pool/child.ts is a thread/process entry of its own (nothing imports it): it loads the user's app.
      const importsApp = f !== join('pool', 'child.ts') && /from '(\.\.\/)+(app|cli\/load-app)'/.test(src);
      expect({ file: f, importsApp }).toEqual({ file: f, importsApp: false });
    }
  });
});

describe('getTask and unregister', () => {
  test('getTask returns the registered handle; an unknown name throws with the closest names', async () => {
    const app = createTestApp('get-task', { eager: true });
    const mail = app.task('users.send_mail', (to: string) => `sent to ${to}`);
    expect(app.getTask('users.send_mail')).toBe(mail);
    const typed = app.getTask<[string], string>('users.send_mail');
    expect(await (await typed.delay('ann')).get()).toBe('sent to ann');
    let err: unknown;
    try {
      app.getTask('users.send_mial');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotRegisteredError);
    expect((err as Error).message).toBe(
      'Task "users.send_mial" is not registered. Did you mean "users.send_mail"? Did you import the module that defines it (app.autodiscoverTasks)?',
    );
    expect(() => app.getTask('zzz')).toThrow('Task "zzz" is not registered. Did you import');
    await app.close();
  });

  test('unregister frees a name for another function; a second function without it is an error naming the fix', async () => {
    const app = createTestApp('unregister', { eager: true });
    app.task('t.hot', () => 1);
    expect(() => app.task('t.hot', () => 2)).toThrow(
      new ConfigurationError('Task "t.hot" is already registered with another function; task names must be unique (to replace it, call app.registry.unregister("t.hot") first)'),
    );
    expect(app.registry.unregister('t.hot')).toBe(true);
    expect(app.registry.unregister('t.hot')).toBe(false);
    expect(() => app.getTask('t.hot')).toThrow(NotRegisteredError);
    const again = app.task('t.hot', () => 2);
    expect(await (await again.delay()).get()).toBe(2);
    expect(app.getTask('t.hot')).toBe(again);
    await app.close();
  });
});

describe('loggers', () => {
  /** Shaped exactly like NestJS's Logger: log/error/warn/debug/verbose/fatal, messages plus optional context. */
  class NestShapedLogger {
    readonly lines: string[] = [];
    constructor(readonly context?: string) {}
    log(message: unknown, ...optionalParams: unknown[]) {
      this.lines.push(`log ${String(message)}${optionalParams.length ? ` +${optionalParams.length}` : ''}`);
    }
    error(message: unknown, ...optionalParams: unknown[]) {
      this.lines.push(`error ${String(message)}${optionalParams.length ? ` +${optionalParams.length}` : ''}`);
    }
    warn(message: unknown, ...optionalParams: unknown[]) {
      this.lines.push(`warn ${String(message)}${optionalParams.length ? ` +${optionalParams.length}` : ''}`);
    }
    debug(message: unknown, ...optionalParams: unknown[]) {
      this.lines.push(`debug ${String(message)}${optionalParams.length ? ` +${optionalParams.length}` : ''}`);
    }
    verbose(message: unknown) {
      this.lines.push(`verbose ${String(message)}`);
    }
    fatal(message: unknown) {
      this.lines.push(`fatal ${String(message)}`);
    }
  }

  test("Nest's Logger is accepted directly by createApp: info → log, one argument each", () => {
    const nest = new NestShapedLogger('Celeriac');
    const app = createApp('nest-log', { logger: nest });
    app.logger.info('i');
    app.logger.warn('w');
    app.logger.error('e');
    app.logger.debug('d');
    expect(nest.lines).toEqual(['log i', 'warn w', 'error e', 'debug d']);
  });

  test('fromNestLogger uses verbose when there is no debug, and keeps `this`', () => {
    const lines: string[] = [];
    const noDebug = { lines, log(m: unknown) { this.lines.push(`log ${String(m)}`); }, warn() {}, error() {}, verbose(m: unknown) { this.lines.push(`verbose ${String(m)}`); } };
    const logger = fromNestLogger(noDebug);
    logger.debug('d');
    logger.info('i');
    expect(lines).toEqual(['verbose d', 'log i']);
  });

  test('a logger of neither shape is refused at createApp', () => {
    expect(() => createApp('bad-log', { logger: { warn() {} } as never })).toThrow(ConfigurationError);
  });
});

describe('createApp with broker and backend instances', () => {
  test('the app uses them, names them in its settings, and does not close them unless closeGiven', async () => {
    const url = `memory://${randomUUID()}`;
    const broker = new MemoryBroker(url);
    const backend = new MemoryBackend(url);
    const app = createApp('given', { broker, backend, logger: silent });
    expect(app.broker).toBe(broker);
    expect(app.backend).toBe(backend);
    expect(app.settings.brokerUrl).toBe(url);
    expect(app.settings.resultBackend).toBe(url);
    app.configure({ taskDefaultQueue: 'given' });
    expect(() => app.configure({ brokerUrl: 'memory://other' })).toThrow(ConfigurationError);
    const add = app.task('t.add', (a: number, b: number) => a + b);
    const res = await add.delay(2, 3);
    expect(await broker.queueLength('given')).toBe(1);
    await drain(app, { queues: ['given'] });
    expect(await res.get({ timeout: 5_000 })).toBe(5);
    await app.close();

    // Still open: another app (or the owner) goes on using them.
    const other = createApp('given-2', { broker, backend, closeGiven: true, logger: silent });
    const again = other.task('t.add', (a: number, b: number) => a + b);
    const res2 = await again.delay(1, 1);
    await drain(other);
    expect(await res2.get({ timeout: 5_000 })).toBe(2);
    await other.close();
    // closeGiven: this one closed them (a closed memory broker refuses new consumers).
    expect(() => broker.consumer({ queues: ['x'], workerId: 'w', heartbeatTimeout: 1_000 })).toThrow(/is closed/);
  });

  test('settings still freeze once the app has built a connection of its own', async () => {
    const broker = new MemoryBroker(`memory://${randomUUID()}`);
    const app = createApp('half-given', { broker, backend: `memory://${randomUUID()}`, logger: silent });
    app.configure({ taskDefaultQueue: 'before' });
    expect(app.backend).toBeDefined();
    expect(() => app.configure({ taskDefaultQueue: 'after' })).toThrow('Settings cannot change after the app has connected');
    await app.close();
    await broker.close();
  });

  test('an object that is neither a URL nor a port is refused, naming what it lacks', () => {
    expect(() => createApp('bad', { broker: { publish() {} } as never })).toThrow(
      new ConfigurationError('`broker` is neither a URL nor a Broker: it lacks consumer(), revoke(), close()'),
    );
    expect(() => createApp('bad', { backend: {} as never })).toThrow('`backend` is neither a URL nor a ResultBackend: it lacks store(), get(), subscribe(), close()');
  });
});
