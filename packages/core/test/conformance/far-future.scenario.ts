// A worker holding tasks due weeks or decades from now stays idle: no timer overflow, no spinning promotion.
// Run on memory:// and on a real redis-server.
import { consoleLogger, createApp, type Celeriac, type TaskContext, type Worker } from '../../src';

export interface FarFutureTarget {
  /** A broker URL with nothing in it. */
  freshUrl(): Promise<string>;
  /** Broker commands sent since the last call (Redis: INFO commandstats), or null where there is nothing to count. */
  commandsSince?(): Promise<number | null>;
  /** Messages in the broker's delayed set, where the test can read it. */
  delayedCount?(): Promise<number>;
}

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(what: string, cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function describeFarFuture(label: string, target: FarFutureTarget): void {
  describe(`far-future eta and countdown (${label})`, () => {
    let app: Celeriac;
    let worker: Worker | null = null;
    const warnings: Error[] = [];
    const onWarning = (w: Error) => void warnings.push(w);

    beforeEach(async () => {
      warnings.length = 0;
      process.on('warning', onWarning);
      app = createApp('far', { broker: await target.freshUrl(), logger: consoleLogger('silent'), workerHeartbeatInterval: 500, workerHeartbeatTimeout: 5_000 });
    });
    afterEach(async () => {
      process.off('warning', onWarning);
      await worker?.close({ timeout: 500 });
      worker = null;
      await app.close();
    });

    test('a worker holding a 30-day countdown, an eta in 2100 and a 30-day retry stays idle, and the tasks stay parked', async () => {
      let runs = 0;
      const mark = app.task('far.mark', () => void runs++);
      const later = app.task(
        'far.retry.later',
        (ctx: TaskContext) => {
          if (ctx.retries === 0) ctx.retry({ countdown: 30 * DAY });
          runs++;
        },
        { bind: true, maxRetries: 1 },
      );
      const eta2100 = Date.UTC(2100, 0, 1);
      const a = await mark.applyAsync([], { countdown: 30 * DAY });
      const b = await mark.applyAsync([], { eta: eta2100 });
      const c = await later.delay();

      worker = app.worker({ concurrency: 2 });
      let promotions = 0;
      const promoteDue = worker.consumer.promoteDue.bind(worker.consumer);
      // NOTE: a counting wrapper around the real broker call, not a stub: the broker still does the work.
      worker.consumer.promoteDue = () => (promotions++, promoteDue());
      await worker.start();
      await until('the retry to be stored', async () => (await c.state()) === 'RETRY');

      // All three are parked in the broker's delayed set: a new consumer sees the earliest due in ~30 days.
      const probe = app.broker.consumer({ queues: ['probe'], workerId: 'probe', heartbeatTimeout: 5_000 });
      await until('all three to be parked', async () => {
        const { nextDue } = await probe.promoteDue();
        return nextDue !== null && nextDue > Date.now() + 29 * DAY && (await app.broker.queueLength('celery')) === 0 && worker!.running === 0;
      });
      await sleep(300);

      promotions = 0;
      await target.commandsSince?.();
      const t0 = Date.now();
      await sleep(3_000);
      const seconds = (Date.now() - t0) / 1000;
      const commands = await target.commandsSince?.();

      // NOTE: bounds, not performance figures: a spinning worker does hundreds of promotions (thousands of
      // Redis commands) a second; an idle one beats its heart twice a second here (on memory:// each heartbeat
      // promotes too, and is counted).
      expect(promotions).toBeLessThan(20);
      if (commands !== undefined && commands !== null) {
        console.log(`${label}: ${(commands / seconds).toFixed(1)} broker commands/s while holding far-future tasks`);
        expect(commands / seconds).toBeLessThan(50);
      }
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
      expect(runs).toBe(0);
      expect(await a.state()).toBe('PENDING');
      expect(await b.state()).toBe('PENDING');
      expect(await c.state()).toBe('RETRY');
      const { promoted, nextDue } = await probe.promoteDue();
      expect(promoted).toBe(0);
      expect(nextDue).toBeGreaterThan(Date.now() + 29 * DAY);
      expect(nextDue).toBeLessThan(Date.now() + 31 * DAY);
      if (target.delayedCount) expect(await target.delayedCount()).toBe(3);
    });

    test('a heartbeat interval beyond Node\'s longest timer is refused with an error naming it', () => {
      expect(() => app.worker({ heartbeatInterval: 2 ** 31, heartbeatTimeout: 2 ** 32 })).toThrow(/heartbeatInterval.*2147483647/);
    });

    test('a 30-day time limit, get() timeout and shutdown grace period mean 30 days, not 1 ms', async () => {
      const slow = app.task('far.slow', async () => {
        await sleep(150);
        return 'done';
      }, { timeLimit: 30 * DAY });
      worker = app.worker({ concurrency: 2, shutdownTimeout: 30 * DAY });
      await worker.start();
      const first = await slow.delay();
      await expect(first.get({ timeout: 30 * DAY })).resolves.toBe('done');
      const second = await slow.delay();
      await until('the second task to start', async () => (await second.state()) === 'STARTED');
      // NOTE: a warm shutdown lets it finish within the grace period instead of aborting it at once.
      await worker.close();
      expect(await second.state()).toBe('SUCCESS');
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
    });
  });
}
