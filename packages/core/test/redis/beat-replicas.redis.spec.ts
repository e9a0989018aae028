// Beat replicas on a real redis-server, each a real `celeriac beat` process: three beats on a 1 s schedule send
// each due run exactly once; SIGKILL the one that sent last and the others go on with no gap beyond the take-over
// bound (3 s) and no duplicate; stop and restart every beat and nothing is re-fired, while a run missed during
// downtime fires once.
import type Redis from 'ioredis';
import { CliProcess, assertBuilt } from '../support/cli';
import { startRedis, type RedisServer } from '../support/redis-server';

const EVERY = 1_000;
const TAKEOVER_BOUND = 3_000;
const SEND = /beat: sending due task tick \(beat\.tick\) \[([0-9a-f-]+)\] due (\S+) to beat/g;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until(what: string, pred: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

let server: RedisServer;
let admin: Redis;
let url: string;
const beats: CliProcess[] = [];
/** Every beat process of the test, also the ones that ended (their logs count). */
const everyBeat: CliProcess[] = [];
/** Messages taken off the queue: task id and when it arrived. */
const received: { id: string; at: number }[] = [];
let consuming = true;
let consumer: Promise<void>;

function startBeat(): CliProcess {
  const b = new CliProcess(['beat', '-A', './beat-app.js', '-l', 'info'], { CELERIAC_BROKER_URL: url, BEAT_EVERY: String(EVERY) });
  beats.push(b);
  everyBeat.push(b);
  return b;
}

async function startBeats(n: number): Promise<CliProcess[]> {
  const started = Array.from({ length: n }, startBeat);
  await Promise.all(started.map((b) => b.waitFor(/beat ready/, 20_000)));
  return started;
}

/** Each beat's sends: task id and due time, from its log. */
function sends(b: CliProcess): { id: string; due: string }[] {
  return [...b.output.matchAll(SEND)].map((m) => ({ id: m[1]!, due: m[2]! }));
}

async function stopAll(signal: NodeJS.Signals): Promise<void> {
  const running = beats.splice(0);
  for (const b of running) if (b.child.exitCode === null) b.child.kill(signal);
  await Promise.all(running.map((b) => b.exited));
}

beforeAll(async () => {
  assertBuilt();
  server = await startRedis({ own: true });
  url = server.url(0);
  admin = server.client();
  const reader = admin.duplicate();
  consumer = (async () => {
    while (consuming) {
      const popped = await reader.brpop('beat', 0.2);
      if (popped) received.push({ id: (JSON.parse(popped[1]) as { headers: { id: string } }).headers.id, at: Date.now() });
    }
    reader.disconnect();
  })();
});

afterAll(async () => {
  for (const b of beats) b.kill();
  consuming = false;
  await consumer;
  await server.stop();
});

it('3 beat processes send each run once; SIGKILL of the sender leaves no gap or duplicate; a restart re-fires nothing', async () => {
  // Phase 1: three beats for ~5 s.
  await startBeats(3);
  const t0 = Date.now();
  await sleep(5_000);
  // Phase 2: SIGKILL the beat that sent the latest run, right after a send; the other two go on for ~5 s.
  const countBefore = received.length;
  await sleep(0);
  while (received.length === countBefore) await sleep(10);
  const lastId = received[received.length - 1]!.id;
  // NOTE: the message can be popped before the sender's log line has reached this process: wait for the line.
  const sentIt = (b: CliProcess) => sends(b).some((s) => s.id === lastId);
  await until('the log line of the beat that sent the latest run', () => beats.some(sentIt), 5_000);
  const sender = beats.find(sentIt)!;
  expect(sender).toBeDefined();
  sender.child.kill('SIGKILL');
  const killedAt = Date.now();
  await sender.exited;
  beats.splice(beats.indexOf(sender), 1);
  await sleep(Math.max(0, t0 + 10_000 - Date.now()));
  const phase12 = received.filter((r) => r.at >= t0);
  const gaps = phase12.slice(1).map((r, i) => r.at - phase12[i]!.at);
  // About one run per second over ten seconds; no gap beyond the take-over bound (also around the kill); no
  // duplicate (two sends of one run would arrive within a few ms of each other).
  expect(phase12.length).toBeGreaterThanOrEqual(8);
  expect(phase12.length).toBeLessThanOrEqual(11);
  expect(Math.max(...gaps)).toBeLessThanOrEqual(EVERY + TAKEOVER_BOUND);
  expect(Math.min(...gaps)).toBeGreaterThan(EVERY / 2);
  const afterKill = received.find((r) => r.at > killedAt)!;
  expect(afterKill.at - killedAt).toBeLessThanOrEqual(EVERY + TAKEOVER_BOUND);

  // Phase 3: stop every beat right after a send and restart three at once: nothing is sent before the run is due.
  const n = received.length;
  while (received.length === n) await sleep(10);
  await stopAll('SIGTERM');
  const lastRun = Number(await admin.hget('celeriac.beat', 'tick'));
  const quick = Date.now();
  await startBeats(3);
  // NOTE: waits for the first send rather than a fixed time: three processes starting on a loaded machine can take
  // longer than the interval (a fixed sleep flaked when the whole suite ran beside other work).
  await until('a send after the restart', () => received.some((r) => r.at > quick), 15_000);
  const afterQuick = received.filter((r) => r.at > quick);
  expect(afterQuick.length).toBeGreaterThanOrEqual(1);
  expect(afterQuick[0]!.at).toBeGreaterThanOrEqual(lastRun + EVERY - 50);

  // Phase 4: downtime of ~3 intervals: the missed run fires once when the beats are back, then the schedule goes on.
  await stopAll('SIGTERM');
  await sleep(3 * EVERY);
  const back = Date.now();
  await startBeats(3);
  await until('the missed run after the downtime', () => received.some((r) => r.at > back), 15_000);
  await sleep(1_600);
  const afterDowntime = received.filter((r) => r.at > back);
  expect(afterDowntime.length).toBeGreaterThanOrEqual(1);
  expect(afterDowntime.length).toBeLessThanOrEqual(3);
  const downtimeGaps = afterDowntime.slice(1).map((r, i) => r.at - afterDowntime[i]!.at);
  for (const g of downtimeGaps) expect(g).toBeGreaterThan(EVERY / 2);
  await stopAll('SIGTERM');
  await sleep(300);

  // Every message on the queue was logged as sent by exactly one beat, each run (due time) once.
  const logged = everyBeat.flatMap(sends);
  const ids = received.map((r) => r.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(logged.map((s) => s.id).sort()).toEqual([...ids].sort());
  expect(new Set(logged.map((s) => s.due)).size).toBe(logged.length);
}, 60_000);
