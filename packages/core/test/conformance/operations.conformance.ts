// Rate limits, per-key concurrency, deduplication and dead-letter redrive: one suite, run on memory:// and on a
// real redis-server.
import { appHarness, until, type Target } from './harness';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Under a limit of one task every `interval` ms, the k-th task to start (in time order) starts no sooner than
 * k intervals after the tasks could first run (`t0`). NOTE: not a check of each gap: a timer that fires late
 * makes the gap after it shorter, while no slot is ever early.
 */
function expectSpaced(starts: number[], t0: number, interval: number): void {
  const s = [...starts].sort((a, b) => a - b);
  s.forEach((t, k) => expect(t).toBeGreaterThanOrEqual(t0 + k * interval - 5));
}

export function describeOperationsConformance(label: string, target: Target): void {
  describe(`operations conformance (${label})`, () => {
    const { makeApp, startWorker } = appHarness(target, { concurrency: 4, shutdownTimeout: 2_000 });

    describe('rate limits', () => {
      test("rateLimit '5/s' spreads a worker's tasks 200 ms apart, and a task without a limit does not wait behind them", async () => {
        const app = await makeApp();
        const starts: number[] = [];
        const limited = app.task('rl.limited', () => void starts.push(Date.now()), { rateLimit: '5/s' });
        let freeAt = 0;
        const free = app.task('rl.free', () => void (freeAt = Date.now()));
        const results = [];
        for (let i = 0; i < 5; i++) results.push(await limited.delay());
        const freeRes = await free.delay();
        const t0 = Date.now();
        await startWorker(app);
        await freeRes.get({ timeout: 5_000 });
        for (const r of results) await r.get({ timeout: 10_000 });
        // NOTE: the free task ran long before the fifth limited one could (800 ms after the first).
        expect(freeAt - t0).toBeLessThan(600);
        expect(Math.max(...starts) - freeAt).toBeGreaterThan(200);
        expectSpaced(starts, t0, 200);
      });

      test("a slot more than a second away waits in the delayed set ('40/m': 1.5 s apart), not in the worker", async () => {
        const app = await makeApp();
        const starts: number[] = [];
        const t = app.task('rl.slow', () => void starts.push(Date.now()), { rateLimit: '40/m' });
        const rs = [await t.delay(), await t.delay(), await t.delay()];
        const t0 = Date.now();
        await startWorker(app);
        await until(async () => (await app.broker.delayedCount()) >= 1, 3_000);
        for (const r of rs) await r.get({ timeout: 10_000 });
        expectSpaced(starts, t0, 1_500);
        expect(await app.broker.delayedCount()).toBe(0);
      });

      test("taskAnnotations give a rate limit by task name, or to every task with '*', as Celery's task_annotations", async () => {
        const app = await makeApp({ taskAnnotations: { '*': { rateLimit: '4/s' }, 'rl.fast': { rateLimit: '1000/s' } } });
        const starts: number[] = [];
        const fastStarts: number[] = [];
        const t = app.task('rl.annotated', () => void starts.push(Date.now()));
        const fast = app.task('rl.fast', () => void fastStarts.push(Date.now()));
        const rs = [];
        for (let i = 0; i < 4; i++) rs.push(await t.delay(), await fast.delay());
        const t0 = Date.now();
        await startWorker(app);
        for (const r of rs) await r.get({ timeout: 10_000 });
        expectSpaced(starts, t0, 250);
        expect(Math.max(...fastStarts) - Math.min(...fastStarts)).toBeLessThan(600);
      });

      test("globalRateLimit '5/s' holds across two workers together", async () => {
        const app = await makeApp();
        const starts: number[] = [];
        const t = app.task('rl.global', () => void starts.push(Date.now()), { globalRateLimit: '5/s' });
        const rs = [];
        for (let i = 0; i < 8; i++) rs.push(await t.delay());
        const t0 = Date.now();
        await Promise.all([startWorker(app), startWorker(app)]);
        for (const r of rs) await r.get({ timeout: 10_000 });
        expectSpaced(starts, t0, 200);
      });

      test('a task that expires while it waits for its rate slot is stored REVOKED and never runs', async () => {
        const app = await makeApp();
        const ran: number[] = [];
        const t = app.task('rl.expiring', (n: number) => void ran.push(n), { rateLimit: '40/m' });
        const first = await t.delay(1);
        const late = await t.applyAsync([2], { expires: 500 });
        await startWorker(app);
        await first.get({ timeout: 5_000 });
        await expect(late.get({ timeout: 5_000 })).rejects.toThrow(/expired/);
        expect(await late.state()).toBe('REVOKED');
        expect(ran).toEqual([1]);
      });

      test('a rate limit is checked when the task is registered', async () => {
        const app = await makeApp();
        expect(() => app.task('rl.bad', () => 1, { rateLimit: '10/d' })).toThrow(/rateLimit.*'10\/s', '100\/m' or '1000\/h'/);
        expect(() => app.task('rl.bad2', () => 1, { maxPerKey: 2 })).toThrow(/maxPerKey needs a concurrencyKey/);
        expect(() => app.configure({ taskAnnotations: { x: { rate_limit: '1/s' } as never } })).toThrow(/Unknown option `rate_limit`.*Did you mean `rateLimit`/);
      });
    });

    describe('per-key concurrency', () => {
      test('maxPerKey 2 across three workers: one tenant never runs more than 2 at once, and cannot starve another', async () => {
        const app = await makeApp();
        const running = new Map<string, number>();
        const peak = new Map<string, number>();
        const done: string[] = [];
        const job = app.task(
          'pk.job',
          async (tenant: string, i: number) => {
            running.set(tenant, (running.get(tenant) ?? 0) + 1);
            peak.set(tenant, Math.max(peak.get(tenant) ?? 0, running.get(tenant)!));
            await sleep(40);
            running.set(tenant, running.get(tenant)! - 1);
            done.push(tenant);
            return i;
          },
          { concurrencyKey: (args) => args[0] as string, maxPerKey: 2 },
        );
        const rs = [];
        for (let i = 0; i < 30; i++) rs.push(await job.delay('big', i));
        for (let i = 0; i < 3; i++) rs.push(await job.delay('small', i));
        await Promise.all([startWorker(app), startWorker(app), startWorker(app)]);
        for (const r of rs) await r.get({ timeout: 20_000 });
        expect(peak.get('big')).toBe(2);
        expect(peak.get('small')).toBeLessThanOrEqual(2);
        // NOTE: 'small' was sent after 30 'big' tasks, yet it finished while most of them still waited.
        expect(done.lastIndexOf('small')).toBeLessThan(20);
        await until(async () => (await app.broker.queueLength('celery')) === 0);
      });

      test("a tenant's backlog of 2,000 tasks does not hold up another tenant's task sent after it", async () => {
        const app = await makeApp();
        let bigDone = 0;
        let bigDoneBeforeSmall = -1;
        const job = app.task(
          'pk.backlog',
          (tenant: string) => {
            if (tenant === 'big') bigDone++;
            else bigDoneBeforeSmall = bigDone;
          },
          { concurrencyKey: ([tenant]) => tenant as string, maxPerKey: 2, ignoreResult: true },
        );
        await Promise.all(Array.from({ length: 2_000 }, () => job.delay('big')));
        await job.delay('small');
        await startWorker(app, { concurrency: 8 });
        await until(() => bigDoneBeforeSmall >= 0, 20_000);
        // NOTE: the small tenant's call waited for the worker to fetch past the big backlog (parking it), not to run it.
        expect(bigDoneBeforeSmall).toBeLessThan(500);
      });

      test('a call whose key is null is not limited; a concurrencyKey that throws dead-letters the message with the reason', async () => {
        const app = await makeApp();
        const t = app.task('pk.maybe', (k: string | null) => k, {
          concurrencyKey: ([k]) => {
            if (k === 'boom') throw new Error('no tenant');
            return k as string | null;
          },
        });
        const a = await t.delay(null);
        await t.delay('boom');
        const w = await startWorker(app);
        await expect(a.get({ timeout: 5_000 })).resolves.toBeNull();
        await until(async () => (await app.broker.deadLetterCount()) === 1);
        const [dead] = await app.broker.deadLetters();
        expect(dead!.reason).toBe('concurrencyKey of task pk.maybe threw: no tenant');
        await w.close();
      });
    });

    describe('deduplication', () => {
      test('a dedupKey already waiting enqueues nothing and returns the waiting task; once it ran, the key is free again', async () => {
        const app = await makeApp();
        const t = app.task('dd.job', (n: number) => n * 2);
        const first = await t.applyAsync([1], { dedupKey: 'order-7' });
        const second = await t.applyAsync([2], { dedupKey: 'order-7' });
        expect(second.id).toBe(first.id);
        expect(await app.broker.queueLength('celery')).toBe(1);
        const w = await startWorker(app);
        await expect(second.get({ timeout: 5_000 })).resolves.toBe(2);
        await w.onIdle();
        await until(async () => (await t.applyAsync([3], { dedupKey: 'order-7' })).id !== first.id, 5_000);
      });

      test('a taskId already waiting or running is not sent twice', async () => {
        const app = await makeApp();
        const t = app.task('dd.byid', async () => {
          await sleep(200);
          return 'ok';
        });
        const a = await t.applyAsync([], { taskId: 'fixed-id-1' });
        await t.applyAsync([], { taskId: 'fixed-id-1' });
        expect(await app.broker.queueLength('celery')).toBe(1);
        const w = await startWorker(app);
        await until(async () => (await a.state()) === 'STARTED');
        await t.applyAsync([], { taskId: 'fixed-id-1' });
        expect(await app.broker.queueLength('celery')).toBe(0);
        await expect(a.get({ timeout: 5_000 })).resolves.toBe('ok');
        await w.onIdle();
      });

      test('two producers racing on one key give one task', async () => {
        const [p1, p2] = [await makeApp(), null];
        const url = p1.settings.brokerUrl;
        const other = p2 ?? (await makeApp({ broker: url }));
        for (const app of [p1, other]) app.task('dd.race', () => 1);
        const sends = [];
        for (let i = 0; i < 25; i++) {
          sends.push(p1.sendTask('dd.race', [], { dedupKey: 'race' }), other.sendTask('dd.race', [], { dedupKey: 'race' }));
        }
        const ids = new Set((await Promise.all(sends)).map((r) => r.id));
        expect(ids.size).toBe(1);
        expect(await p1.broker.queueLength('celery')).toBe(1);
      });

      test('dedupTtl bounds how long a key holds, even while its task waits', async () => {
        const app = await makeApp();
        app.task('dd.ttl', () => 1);
        const a = await app.sendTask('dd.ttl', [], { dedupKey: 'k', dedupTtl: 150 });
        expect((await app.sendTask('dd.ttl', [], { dedupKey: 'k' })).id).toBe(a.id);
        await sleep(300);
        expect((await app.sendTask('dd.ttl', [], { dedupKey: 'k' })).id).not.toBe(a.id);
        expect(await app.broker.queueLength('celery')).toBe(2);
      });
    });

    describe('dead letters', () => {
      test('listed oldest first; one redriven by position, the rest in a batch, each back in its queue exactly once; purge empties', async () => {
        const app = await makeApp();
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push((await app.sendTask('dl.unknown', [i], { queue: i === 4 ? 'other' : 'celery', priority: i === 3 ? 9 : 0 })).id);
        const w = await startWorker(app, { queues: ['celery', 'other'] });
        await until(async () => (await app.broker.deadLetterCount()) === 5);
        await w.close();
        const broker = app.broker;
        const all = await broker.deadLetterRange!(0, 10);
        expect(all.map((d) => JSON.parse(d.raw).headers.id).sort()).toEqual([...ids].sort());
        expect(all.every((d, i) => i === 0 || d.at >= all[i - 1]!.at)).toBe(true);
        const second = all[1]!;
        // NOTE: with a task id, only if the letter at that position is that task's (the list may have shifted).
        expect(await broker.redriveDeadLetter!(2, JSON.parse(all[0]!.raw).headers.id)).toBe(false);
        expect(await broker.deadLetterCount()).toBe(5);
        expect(await broker.redriveDeadLetter!(2, JSON.parse(second.raw).headers.id)).toBe(true);
        expect(await broker.deadLetterCount()).toBe(4);
        expect((await broker.deadLetterRange!(0, 10)).map((d) => d.raw)).not.toContain(second.raw);
        expect(await broker.queueLength(second.queue)).toBe(1);
        expect(await broker.redriveDeadLetter!(99)).toBe(false);
        expect(await broker.redriveDeadLetters!(2)).toBe(2);
        expect(await broker.deadLetterCount()).toBe(2);
        expect(await broker.purgeDeadLetters!(10)).toBe(2);
        expect(await broker.deadLetterCount()).toBe(0);
        expect((await broker.queueLength('celery')) + (await broker.queueLength('other'))).toBe(3);
      });

      test('a task redriven after it failed as unregistered runs again: STARTED, then its new result', async () => {
        const app = await makeApp();
        const res = await app.sendTask('dl.late', []);
        let w = await startWorker(app);
        await until(async () => (await res.state()) === 'FAILURE');
        await w.close();
        let started = false;
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        app.task('dl.late', async () => {
          started = true;
          await gate;
          return 'ran';
        });
        expect(await app.broker.redriveDeadLetter!(1, res.id)).toBe(true);
        w = await startWorker(app);
        await until(async () => started);
        // NOTE: the stored FAILURE (NotRegistered) does not hide the new run.
        expect(await res.state()).toBe('STARTED');
        release();
        await expect(res.get({ timeout: 10_000 })).resolves.toBe('ran');
        await w.close();
      });
    });
  });
}
