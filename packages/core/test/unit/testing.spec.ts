import { join } from 'node:path';
import { ConfigurationError, TaskError } from '../../src';
import { createTestApp, drain } from '../../src/testing';
import { app as discoverApp } from '../fixtures/discover/registry';

describe('testing helpers', () => {
  test('createTestApp apps are isolated from each other', async () => {
    const a = createTestApp('a');
    const b = createTestApp('b');
    const t = a.task('iso.t', () => 1);
    b.task('iso.t', () => 2);
    await t.delay();
    expect(await a.broker.queueLength('celery')).toBe(1);
    expect(await b.broker.queueLength('celery')).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  test('drain runs every queued task in order, including the follow-ups they send, then stops', async () => {
    const app = createTestApp();
    const log: string[] = [];
    const step = app.task('d.step', (n: number) => {
      log.push(`step ${n}`);
      return n * 10;
    });
    app.task('d.after', (v: number) => void log.push(`after ${v}`));
    const fail = app.task('d.fail', () => {
      throw new Error('nope');
    });
    await step.delay(1);
    await step.applyAsync([2], { link: step.s() });
    const failed = await fail.delay();
    await step.delay(3);
    const ran = await drain(app);
    expect(log).toEqual(['step 1', 'step 2', 'step 3', 'step 20']);
    expect(ran).toBe(5);
    await expect(failed.get()).rejects.toBeInstanceOf(TaskError);
    expect(await app.broker.queueLength('celery')).toBe(0);
    await app.close();
  });

  test("README's testing snippet: drain(app) with no queues runs a task routed to `mail`", async () => {
    const app = createTestApp();
    class SmtpError extends Error {}
    const sentTo: string[] = [];
    const sendActivationMail = app.task(
      'users.send_register_active_mail',
      async (to: string, _username: string, _token: string) => {
        sentTo.push(to);
        return `sent to ${to}`;
      },
      { maxRetries: 3, retryBackoff: true, autoretryFor: [SmtpError], timeLimit: 30_000, queue: 'mail' },
    );
    const res = await sendActivationMail.delay('ann@example.com', 'ann', 'tok');
    expect(await drain(app)).toBe(1);
    expect(sentTo).toEqual(['ann@example.com']);
    expect(await res.get({ timeout: 5_000 })).toBe('sent to ann@example.com');
    expect(await app.broker.queueNames()).toEqual([]);
    await app.close();
  });

  test('drain follows the tasks it runs into the queues their callbacks and sends are routed to', async () => {
    const app = createTestApp('routed', { taskRoutes: { 'r.report': 'reports' } });
    const log: string[] = [];
    const report = app.task('r.report', (v: string) => void log.push(`report ${v}`));
    const audit = app.task(
      'r.audit',
      async (v: number) => {
        log.push(`audit ${v}`);
        await report.delay(`#${v}`);
      },
      { queue: 'audit' },
    );
    const start = app.task('r.start', (n: number) => {
      log.push(`start ${n}`);
      return n + 1;
    });
    await start.applyAsync([1], { link: audit.s() });
    expect(await drain(app)).toBe(3);
    expect(log).toEqual(['start 1', 'audit 2', 'report #2']);
    expect(await app.broker.queueNames()).toEqual([]);
    await app.close();
  });

  test('drain with `queues` drains only those', async () => {
    const app = createTestApp();
    const ran: string[] = [];
    const mail = app.task('q.mail', () => void ran.push('mail'), { queue: 'mail' });
    const other = app.task('q.other', () => void ran.push('other'));
    await mail.delay();
    await other.delay();
    expect(await drain(app, { queues: ['celery'] })).toBe(1);
    expect(ran).toEqual(['other']);
    expect(await app.broker.queueNames()).toEqual(['mail']);
    await app.close();
  });

  test('eager test apps run tasks inline at .delay(), retries included', async () => {
    const app = createTestApp('e', { eager: true });
    let calls = 0;
    const flaky = app.task(
      'e.flaky',
      (ctx, x: number) => {
        calls++;
        if (ctx.retries < 2) ctx.retry({ countdown: 60_000 });
        return x + ctx.retries;
      },
      { bind: true },
    );
    const res = await flaky.delay(40);
    expect(await res.get()).toBe(42);
    expect(calls).toBe(3);
    await app.close();
  });
});

describe('autodiscoverTasks', () => {
  const base = join(__dirname, '..', 'fixtures', 'discover');

  test("imports each folder's tasks module, registering its tasks", async () => {
    const app = discoverApp;
    const loaded = await app.autodiscoverTasks(['users', 'orders', 'empty'], { baseDir: base });
    expect(loaded.map((f: string) => f.split('/').slice(-2).join('/'))).toEqual(['users/tasks.ts', 'orders/tasks.ts']);
    expect(app.registry.names()).toEqual(['orders.ship', 'users.welcome']);
    await app.close();
  });

  test('a folder that does not exist is a clear error', async () => {
    const app = createTestApp();
    await expect(app.autodiscoverTasks(['nope'], { baseDir: base })).rejects.toThrow(ConfigurationError);
    await expect(app.autodiscoverTasks(['nope'], { baseDir: base })).rejects.toThrow(/"nope" does not exist/);
    await app.close();
  });
});
