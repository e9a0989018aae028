// A Nest worker with pool 'processes' and 'threads': each member boots the module (nestPoolChild), so a @Task()
// method runs with its injected providers there; the module's own `worker` option starts nothing in a member; a
// CPU-bound task past its hard time limit is ended with its member, which is replaced. Members load the fixture's
// plain JS with plain Node, as they load a user's built JS.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { TaskError, consoleLogger, createApp } from '@celeriac/core';
import { CeleriacWorker } from '@celeriac/nest';

interface Quote {
  total: number;
  pid: number;
  threadId: number;
}
interface QuotesLike {
  quote(qty: number): Quote;
  workers(): number;
  spin(ms: number): string;
}

const fixture = require('./fixtures/pool.module.js') as { poolModule(pool: string, broker: string): new () => unknown; Quotes: new (...args: never[]) => QuotesLike };

describe.each(['processes', 'threads'] as const)('a Nest worker with pool %s', (pool) => {
  let ctx: INestApplicationContext | undefined;

  afterEach(async () => {
    await ctx?.close();
    ctx = undefined;
  });

  it('runs @Task() methods with their injected providers in a member, and ends a CPU-bound task at its hard limit', async () => {
    ctx = await NestFactory.createApplicationContext(fixture.poolModule(pool, `memory://${randomUUID()}`), { logger: false, abortOnError: false });
    const [worker] = ctx.get(CeleriacWorker).workers;
    expect(worker?.pool.kind).toBe(pool);
    const quotes = ctx.get(fixture.Quotes);

    const first = await (await quotes.quote.delay(6)).get({ timeout: 20_000 });
    expect(first.total).toBe(42); // 6 × the injected rate (7): computed by the provider in the member
    if (pool === 'processes') expect(first.pid).not.toBe(process.pid);
    else expect([first.pid, first.threadId === threadId]).toEqual([process.pid, false]);
    // The module booted in the member says `worker: { pool }` too: it started no worker (nor a pool of its own) there.
    expect(await (await quotes.workers.delay()).get({ timeout: 20_000 })).toBe(0);

    // Synchronous for 60 s with a hard limit of 1.5 s: the member is ended, the task stored as TimeLimitExceeded.
    const spun = await quotes.spin.delay(60_000);
    const err = await spun.get({ timeout: 30_000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TaskError);
    expect((err as TaskError).excType).toBe('TimeLimitExceeded');

    // The replacement boots the module again: the next task runs in a new member, with its providers.
    const next = await (await quotes.quote.delay(2)).get({ timeout: 30_000 });
    expect(next.total).toBe(14);
    if (pool === 'processes') expect(next.pid).not.toBe(first.pid);
    else expect(next.threadId).not.toBe(first.threadId);
  });
});

describe('a pool member whose Nest module cannot boot', () => {
  it.each([
    ['pool-broken.js', /could not load the tasks' module .*pool-broken\.js: ConfigurationError: nestPoolChild: the module has no CeleriacModule/],
    ['pool-throws.js', /could not load the tasks' module .*pool-throws\.js: Error: cannot reach the pricing database/],
  ])('fails worker.start() with the reason (%s)', async (file, message) => {
    const app = createApp('broken', { broker: `memory://${randomUUID()}`, logger: consoleLogger('silent') });
    try {
      const worker = app.worker({ pool: 'processes', module: require.resolve(`./fixtures/${file}`), concurrency: 1 });
      await expect(worker.start()).rejects.toThrow(message);
    } finally {
      await app.close();
    }
  });
});

test('a Nest worker on a pool without the module to load fails, saying what to give', async () => {
  const ctx = await NestFactory.createApplicationContext(fixture.poolModule('main', `memory://${randomUUID()}`), { logger: false, abortOnError: false });
  try {
    // NOTE: the pool may also come from the workerPool setting (CELERIAC_WORKER_POOL): the same check applies.
    await expect(ctx.get(CeleriacWorker).start({ pool: 'threads' })).rejects.toThrow(
      "CeleriacWorker: pool 'threads' needs the module its threads load: a built JS file that exports `celeriacChild = nestPoolChild(AppModule)`",
    );
    expect(ctx.get(CeleriacWorker).workers).toHaveLength(1); // the module's own (pool main), untouched
  } finally {
    await ctx.close();
  }
});
