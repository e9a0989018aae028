// Operations as real processes against a real redis-server: `celeriac dlq …`, `celeriac revoke --terminate`,
// `celeriac call --dedup-key` racing, per-key limits under three worker processes, and a dead worker's slots.
import { spawn } from 'node:child_process';
import type Redis from 'ioredis';
import { consoleLogger, createApp, type Celeriac } from '../../src';
import { celeriacKeys } from '../../src/redis/keys';
import { until } from '../conformance/harness';
import { CLI, CliProcess, FIXTURES, assertBuilt, runCli, type Run } from '../support/cli';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;
let admin: Redis;
let db = 0;
let url: string;
let app: Celeriac;
const procs: CliProcess[] = [];

beforeAll(async () => {
  assertBuilt();
  redis = await startRedis({ own: true });
  admin = redis.client();
});
beforeEach(async () => {
  url = redis.url(++db % 16);
  await admin.select(db % 16);
  await admin.flushdb();
  app = createApp('ops-test', { broker: url, logger: consoleLogger('silent') });
});
afterEach(async () => {
  for (const p of procs.splice(0)) p.kill();
  await app.close();
});
afterAll(async () => {
  await redis.stop();
});

const env = (extra: NodeJS.ProcessEnv = {}) => ({ CELERIAC_BROKER_URL: url, ...extra });
const ops = (args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> => runCli([...args, '-A', './ops-app.js'], env(extra));

function worker(args: string[] = [], extra: NodeJS.ProcessEnv = {}): CliProcess {
  const w = new CliProcess(['worker', '-A', './ops-app.js', '-l', 'info', ...args], env(extra));
  procs.push(w);
  return w;
}

/** Dead letters made the way workers make them: unknown tasks, run by an in-process worker. */
async function deadLetters(n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await app.sendTask('nobody.knows', [i])).id);
  const w = app.worker({ concurrency: 4 });
  await w.start();
  await until(async () => (await app.broker.deadLetterCount()) === n, 10_000);
  await w.close();
  return ids;
}

/** The most intervals open at one instant. */
function peakOverlap(spans: { start: number; end: number }[]): number {
  const events = spans.flatMap((s) => [[s.start, 1] as const, [s.end, -1] as const]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, d] of events) peak = Math.max(peak, (open += d));
  return peak;
}

describe('celeriac dlq', () => {
  it('list (oldest first, --json), show <n>, redrive <n>: the message is back in its queue and gone from the list', async () => {
    const ids = await deadLetters(3);
    const list = await ops(['dlq', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^#1 {2}\S+Z {2}celery {2}nobody\.knows\[[0-9a-f-]{36}\] {2}unknown task "nobody\.knows": not registered on worker /m);
    expect(list.stdout).toContain('3 dead letter(s), oldest first.');
    const json = JSON.parse((await ops(['dlq', 'list', '--json'])).stdout) as { total: number; deadLetters: { n: number; id: string; task: string }[] };
    expect(json.total).toBe(3);
    expect(json.deadLetters.map((d) => d.n)).toEqual([1, 2, 3]);
    expect(json.deadLetters.map((d) => d.id).sort()).toEqual([...ids].sort());

    const second = json.deadLetters[1]!;
    const shown = await ops(['dlq', 'show', '2']);
    expect(shown.stdout).toContain(`  id:      ${second.id}`);
    expect(shown.stdout).toMatch(/ {2}args: {4}\[\d\]/);
    const shownJson = JSON.parse((await ops(['dlq', 'show', '2', '--json'])).stdout) as { id: string; raw: string; kwargs: object };
    expect(shownJson).toMatchObject({ id: second.id, kwargs: {} });

    const redriven = await ops(['dlq', 'redrive', '2']);
    expect(redriven.stdout.trim()).toBe(`Sent dead letter #2 (nobody.knows[${second.id}]) back to queue celery.`);
    expect(await admin.llen('celery')).toBe(1);
    expect(JSON.parse((await admin.lrange('celery', 0, -1))[0]!).headers.id).toBe(second.id);
    const after = JSON.parse((await ops(['dlq', 'list', '--json'])).stdout) as { total: number; deadLetters: { id: string }[] };
    expect(after.total).toBe(2);
    expect(after.deadLetters.map((d) => d.id)).not.toContain(second.id);

    const missing = await ops(['dlq', 'show', '9']);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe('celeriac: No dead letter #9 (there are 2)');
    expect((await ops(['dlq', 'redrive'])).stderr).toContain('dlq redrive <n> (or --all) must be a whole number >= 1');
    expect((await ops(['dlq', 'bogus'])).stderr).toContain('Usage: celeriac dlq list | show <n> | redrive [--all | <n>] | purge');
  });

  it('purge needs -f without a terminal; -f --json deletes them all', async () => {
    await deadLetters(2);
    const refused = await ops(['dlq', 'purge']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe('celeriac: dlq purge would delete 2 dead letter(s) and there is no terminal to confirm it on; add -f (--force) to purge anyway');
    expect(await admin.llen(celeriacKeys.deadLetter)).toBe(2);
    const purged = await ops(['dlq', 'purge', '-f', '--json']);
    expect(JSON.parse(purged.stdout)).toEqual({ purged: 2, remaining: 0, interrupted: false });
    expect(await admin.llen(celeriacKeys.deadLetter)).toBe(0);
  });

  it('redrive --all on a terminal draws a progress bar and sends every letter back, priorities kept', async () => {
    await seedDeadLetters(1_500, (i) => (i % 2 ? 9 : 0));
    // NOTE: `script` gives the command a pseudo-terminal, as a user's shell would.
    const run = await new Promise<Run>((resolve) => {
      const cmd = `${process.execPath} ${CLI} dlq redrive --all --batch 100 -A ./ops-app.js`;
      const child = spawn('script', ['-qefc', cmd, '/dev/null'], { cwd: FIXTURES, env: { ...process.env, ...env() } });
      let stdout = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
      child.stdin.end();
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/redrive \[#*-*\] \d+\/1500/);
    expect(run.stdout).toContain('Sent 1500 of 1500 dead letter(s) back to their queues; 0 remain in the dead-letter list.');
    expect(await admin.llen('celery')).toBe(750);
    expect(await admin.llen('celery\x06\x169')).toBe(750);
  });

  it('redrive --all interrupted by SIGINT: exit 130, and every message is in exactly one place', async () => {
    const total = 4_000;
    await seedDeadLetters(total, () => 0);
    const child = spawn(process.execPath, [CLI, 'dlq', 'redrive', '--all', '--batch', '1', '--json', '-A', './ops-app.js'], { cwd: FIXTURES, env: { ...process.env, ...env() } });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    await until(async () => (await admin.llen('celery')) > 200, 15_000);
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const out = JSON.parse(stdout) as { redriven: number; remaining: number; interrupted: boolean };
    expect(out.interrupted).toBe(true);
    const queued = await admin.lrange('celery', 0, -1);
    const kept = await admin.lrange(celeriacKeys.deadLetter, 0, -1);
    expect(out.redriven).toBe(queued.length);
    expect(out.remaining).toBe(kept.length);
    expect(queued.length).toBeGreaterThan(0);
    expect(kept.length).toBeGreaterThan(0);
    const ids = [...queued.map((r) => JSON.parse(r).headers.id as string), ...kept.map((k) => JSON.parse(JSON.parse(k).raw).headers.id as string)];
    expect(ids.length).toBe(total);
    expect(new Set(ids).size).toBe(total);
  });
});

/** Dead letters written straight into Redis (as workers write them), fast enough for thousands. */
async function seedDeadLetters(n: number, priority: (i: number) => number): Promise<void> {
  const entries: string[] = [];
  for (let i = 0; i < n; i++) {
    const msg = app.buildMessage('nobody.knows', [i], { priority: priority(i) });
    entries.push(JSON.stringify({ reason: 'unknown task', queue: 'celery', raw: app.producer.encode(msg), at: Date.now(), worker: 'w' }));
  }
  for (let i = 0; i < entries.length; i += 500) await admin.lpush(celeriacKeys.deadLetter, ...entries.slice(i, i + 500));
}

describe('celeriac revoke', () => {
  it('--terminate from another process aborts the task running in a worker process; it is stored REVOKED', async () => {
    const w = worker(['-c', '2']);
    await w.waitFor(/ready/);
    const res = await app.sendTask('ops.wait', [60_000]);
    await until(async () => (await res.state()) === 'STARTED', 10_000);
    const r = await ops(['revoke', res.id, '--terminate', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ revoked: [res.id], terminate: true });
    await until(async () => (await res.state()) === 'REVOKED', 10_000);
    await w.waitFor(new RegExp(`Discarding terminated task ops\\.wait\\[${res.id}\\]`));
  });

  it('without --terminate a waiting task never runs; no id is a usage error', async () => {
    const res = await app.sendTask('ops.wait', [10]);
    const r = await ops(['revoke', res.id]);
    expect(r.stdout.trim()).toBe(`Revoked ${res.id}.`);
    const w = worker();
    await w.waitFor(/ready/);
    await until(async () => (await res.state()) === 'REVOKED', 10_000);
    expect((await ops(['revoke'])).stderr).toContain('Usage: celeriac revoke <task-id>');
  });
});

describe('celeriac call --dedup-key / --task-id', () => {
  it('two producer processes racing on one key give one task, and both print its id', async () => {
    for (let round = 0; round < 3; round++) {
      const [a, b] = await Promise.all([
        ops(['call', 'ops.wait', '--args', '[1]', '--dedup-key', `race-${round}`]),
        ops(['call', 'ops.wait', '--args', '[1]', '--dedup-key', `race-${round}`]),
      ]);
      expect(a.stderr).toBe('');
      expect(a.stdout.trim()).toBe(b.stdout.trim());
    }
    expect(await admin.llen('celery')).toBe(3);
    const fixed = await ops(['call', 'ops.wait', '--args', '[1]', '--task-id', 'order-42', '--json']);
    expect(JSON.parse(fixed.stdout)).toEqual({ task_id: 'order-42' });
    await ops(['call', 'ops.wait', '--args', '[1]', '--task-id', 'order-42']);
    expect(await admin.llen('celery')).toBe(4);
  });
});

describe('per-key concurrency across worker processes', () => {
  it('maxPerKey 2 holds under three worker processes, and a small tenant is not starved by a big one', async () => {
    const ws = [worker(['-c', '4']), worker(['-c', '4']), worker(['-c', '4'])];
    await Promise.all(ws.map((w) => w.waitFor(/ready/)));
    const big = [];
    for (let i = 0; i < 24; i++) big.push(await app.sendTask('ops.tenant', ['big', 100]));
    const small = [];
    for (let i = 0; i < 4; i++) small.push(await app.sendTask('ops.tenant', ['small', 100]));
    type Span = { key: string; start: number; end: number; pid: number };
    const bigSpans = (await Promise.all(big.map((r) => r.get({ timeout: 30_000 })))) as Span[];
    const smallSpans = (await Promise.all(small.map((r) => r.get({ timeout: 30_000 })))) as Span[];
    expect(peakOverlap(bigSpans)).toBe(2);
    expect(peakOverlap(smallSpans)).toBeLessThanOrEqual(2);
    expect(new Set([...bigSpans, ...smallSpans].map((s) => s.pid)).size).toBeGreaterThanOrEqual(2);
    // NOTE: 24 big tasks 2 at a time take 12 rounds; the small tenant's 4, sent after them, end within the first half.
    const lastBig = Math.max(...bigSpans.map((s) => s.end));
    const firstBig = Math.min(...bigSpans.map((s) => s.start));
    expect(Math.max(...smallSpans.map((s) => s.end))).toBeLessThan(firstBig + (lastBig - firstBig) / 2);
    await until(async () => (await admin.hlen(celeriacKeys.slotIndex)) === 0);
  });

  it("a worker killed while holding a slot: the slot comes back after the heartbeat timeout and the parked calls run", async () => {
    const fast = { CELERIAC_WORKER_HEARTBEAT_INTERVAL: '300', CELERIAC_WORKER_HEARTBEAT_TIMEOUT: '1500' };
    const holder = worker(['-c', '2'], fast);
    await holder.waitFor(/ready/);
    // NOTE: recovered from the dead worker, it runs again in full (2 s) on the other one.
    const held = await app.sendTask('ops.solo', ['acct-1', 2_000]);
    await until(async () => (await held.state()) === 'STARTED', 10_000);
    const other = worker(['-c', '2'], fast);
    await other.waitFor(/ready/);
    const parked = [];
    for (let i = 0; i < 3; i++) parked.push(await app.sendTask('ops.solo', ['acct-1', 20]));
    await until(async () => (await admin.llen(celeriacKeys.slotWait('ops.solo#acct-1'))) === 3, 10_000);
    holder.child.kill('SIGKILL');
    const killedAt = Date.now();
    type Span = { start: number; end: number };
    const spans = (await Promise.all(parked.map((r) => r.get({ timeout: 20_000 })))) as Span[];
    const again = (await held.get({ timeout: 20_000 })) as Span;
    expect(again.start).toBeGreaterThanOrEqual(killedAt + 1_000);
    for (const s of spans) expect(s.start).toBeGreaterThanOrEqual(killedAt + 1_000);
    expect(peakOverlap([...spans, again])).toBe(1);
    await until(async () => (await admin.hlen(celeriacKeys.slotIndex)) === 0);
  });
});
