// A closed app leaves nothing behind: once worker.close() and app.close() resolve, the process can exit (no
// timer or socket keeps it alive, so neither jest nor a worker process lingers after "closed").
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startRedis, type RedisServer } from '../support/redis-server';

const FIXTURE = join(__dirname, '../fixtures/close-handles.js');
let redis: RedisServer;

beforeAll(async () => {
  redis = await startRedis({ own: true });
});
afterAll(async () => {
  await redis.stop();
});

test('workers closed while their blocking connections are still connecting leave no timer or socket behind', async () => {
  const proc = spawn(process.execPath, [FIXTURE], { env: { ...process.env, BROKER: redis.url() }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  expect(stderr).toBe('');
  expect(stdout).toBe('closed\n');
  expect(code).toBe(0);
});
