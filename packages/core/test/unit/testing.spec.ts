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
