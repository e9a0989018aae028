import { SerializationError, type Celeriac } from '@celeriac/core';
import { createTestApp } from '@celeriac/core/testing';
import { decodeMessage, encodeMessage } from '../../src/protocol/message';
import { rejectionOf } from '../support/rejection';

type Anything = (...args: unknown[]) => unknown;

let app: Celeriac;
beforeEach(() => {
  app = createTestApp('serialize');
});
afterEach(async () => {
  await app.close();
});

const queued = () => app.broker.queueLength('celery');

const refused = (p: Promise<unknown>): Promise<SerializationError> => rejectionOf(p, SerializationError);

describe('.delay() refuses arguments JSON cannot carry, naming the task and the argument; nothing is sent', () => {
  const cycle = (): unknown => {
    const o: Record<string, unknown> = { name: 'loop' };
    o.self = o;
    return o;
  };

  it.each<[string, () => unknown[], string, RegExp]>([
    ['a function', () => ['ok', () => 1], 'argument 2 (args[1])', /a function/],
    ['a symbol', () => [Symbol('s')], 'argument 1 (args[0])', /a symbol/],
    ['a BigInt', () => [1, 2, 10n], 'argument 3 (args[2])', /BigInt/],
    ['NaN', () => [NaN], 'argument 1 (args[0])', /NaN/],
    ['Infinity', () => [-Infinity], 'argument 1 (args[0])', /Infinity/],
    ['a cycle', () => [cycle()], 'argument 1 (args[0]).self', /circular/],
    ['a Map', () => [new Map([['a', 1]])], 'argument 1 (args[0])', /Map/],
    ['a Set', () => [new Set([1])], 'argument 1 (args[0])', /Set/],
    ['a Promise', () => [Promise.resolve(1)], 'argument 1 (args[0])', /Promise/],
    ['a nested function', () => [{ user: { notify: () => 1 } }], 'argument 1 (args[0]).user.notify', /a function/],
    ['a nested BigInt in an array', () => [[1, [2, 3n]]], 'argument 1 (args[0])[1][1]', /BigInt/],
    ['an Error', () => [{ cause: new TypeError('x') }], 'argument 1 (args[0]).cause', /an Error \(JSON would turn it into \{\}/],
    ['a RegExp', () => [/a+/], 'argument 1 (args[0])', /a RegExp/],
  ])('%s', async (_what, makeArgs, path, why) => {
    const t = app.task('users.send_register_active_mail', ((..._a: unknown[]) => 'sent') as Anything);
    const err = await refused(t.delay(...makeArgs()));
    expect(err.message).toContain('"users.send_register_active_mail"');
    expect(err.message).toContain(`${path} is`);
    expect(err.message).toMatch(why);
    expect(err.message).toContain('Nothing was sent');
    expect(await queued()).toBe(0);
  });

  it('names the keyword argument', async () => {
    const t = app.task('orders.ship', ((..._a: unknown[]) => 1) as Anything);
    const err = await refused(t.applyAsync([], { kwargs: { callback: () => 1 } }));
    expect(err.message).toContain('"orders.ship"');
    expect(err.message).toContain('kwargs.callback is a function');
    expect(await queued()).toBe(0);
  });

  it('sendTask by name refuses too', async () => {
    const err = await refused(app.sendTask('remote.task', [new WeakMap()]));
    expect(err.message).toContain('"remote.task"');
    expect(await queued()).toBe(0);
  });

  it('eager mode refuses before running the task', async () => {
    const eager = createTestApp('eager', { eager: true });
    const fn = jest.fn((_x: unknown) => 1);
    const t = eager.task('t.eager', fn);
    await refused(t.delay(() => 1));
    expect(fn).not.toHaveBeenCalled();
    await eager.close();
  });

  it('Dates, toJSON objects, shared (non-circular) references and plain data are fine', async () => {
    const t = app.task('t.ok', ((..._a: unknown[]) => 1) as Anything);
    const shared = { id: 1 };
    const when = new Date(Date.UTC(2026, 0, 1));
    const money = { toJSON: () => '12.50 EUR', nested: () => 'ignored: toJSON decides' };
    const res = await t.delay(when, money, [shared, shared], { a: null, b: [true, 'x', 1.5] }, undefined);
    expect(res.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await queued()).toBe(1);
    const consumer = app.broker.consumer({ queues: ['celery'], workerId: 'w', heartbeatTimeout: 10_000 });
    const [d] = await consumer.fetch(1);
    const msg = decodeMessage(d!.raw, 'celery');
    expect(msg.id).toBe(res.id);
    expect(msg.args).toEqual(['2026-01-01T00:00:00.000Z', '12.50 EUR', [{ id: 1 }, { id: 1 }], { a: null, b: [true, 'x', 1.5] }, null]);
  });
});

describe('taskMessageMaxSize', () => {
  it('a message over the limit is refused with SerializationError, nothing sent', async () => {
    const small = createTestApp('small', { taskMessageMaxSize: 2_000 });
    const t = small.task('files.upload', (_data: string) => 1);
    const p = t.delay('x'.repeat(5_000));
    await expect(p).rejects.toBeInstanceOf(SerializationError);
    await expect(t.delay('x'.repeat(5_000))).rejects.toThrow(/"files\.upload".*over taskMessageMaxSize \(2000 bytes\).*Nothing was sent/);
    expect(await small.broker.queueLength('celery')).toBe(0);
    // under the limit: sent
    await t.delay('x'.repeat(100));
    expect(await small.broker.queueLength('celery')).toBe(1);
    await small.close();
  });

  it('counts bytes, not characters', async () => {
    const text = '€'.repeat(1_000); // 1000 characters, 3000 UTF-8 bytes (in argsrepr)
    const probe = createTestApp('probe');
    const raw = encodeMessage(probe.buildMessage('t.text', [text]));
    await probe.close();
    const chars = raw.length;
    const bytes = Buffer.byteLength(raw);
    expect(bytes).toBeGreaterThan(chars + 1_000);
    // a limit between the two: the message is too big in bytes although it has fewer characters
    const small = createTestApp('bytes', { taskMessageMaxSize: chars + 500 });
    const t = small.task('t.text', (_s: string) => 1);
    await expect(t.delay(text)).rejects.toThrow(new RegExp(`message is ${bytes} bytes`));
    expect(await small.broker.queueLength('celery')).toBe(0);
    await small.close();
  });

  it('the default limit is 10 MiB', async () => {
    const t = app.task('t.big', (_s: string) => 1);
    await expect(t.delay('x'.repeat(11 * 1024 * 1024))).rejects.toBeInstanceOf(SerializationError);
    expect(await queued()).toBe(0);
  });
});

describe('nesting deeper than Python can decode', () => {
  it('.delay() refuses an argument nested 5,000 levels deep, naming where', async () => {
    let v: unknown = 1;
    for (let i = 0; i < 5_000; i++) v = { a: v };
    const t = app.task('deep.args', ((..._a: unknown[]) => 1) as Anything);
    const err = await refused(t.delay(v));
    expect(err.message).toContain('argument 1 (args[0]).a.a.a.a.a.a.a.a…(');
    expect(err.message).toContain('nested deeper than 500 levels');
    expect(await queued()).toBe(0);
  });

  it('accepts 400 levels', async () => {
    let v: unknown = 1;
    for (let i = 0; i < 400; i++) v = [v];
    const t = app.task('deep.ok', ((..._a: unknown[]) => 1) as Anything);
    await t.delay(v);
    expect(await queued()).toBe(1);
  });
});
