// A closed worker and app leave nothing behind that keeps the process alive (an embedded worker's process
// exits when its server stops; the CLI worker exits at once after "closed").
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FIXTURES, assertBuilt } from '../support/cli';
import { startRedis, type RedisServer } from '../support/redis-server';

let redis: RedisServer;

beforeAll(async () => {
  assertBuilt();
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

test('after worker.close() and app.close() of an idle worker no timer is left, and the process ends by itself', async () => {
  const child = spawn(process.execPath, [join(FIXTURES, 'close-and-exit.js'), redis.url()], { cwd: FIXTURES });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((res) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('close', (c) => {
      clearTimeout(timer);
      res(c);
    });
  });
  expect(code).toBe(0);
  // NOTE: what keeps the event loop alive right after close: a socket may still be closing, but no timer may be
  // left (there were ioredis' 2 s disconnect timers and a 200 ms pause per blocking peek).
  const resources = JSON.parse(out.trim().split('\n')[0]!) as string[];
  expect(resources.filter((r) => r === 'Timeout')).toEqual([]);
});
