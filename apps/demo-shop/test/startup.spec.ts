// Start-up mistakes a user can make end with one clear line and exit 1 (no stack, nothing left running).
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const DIST = join(__dirname, '../dist');

function run(entry: string, env: Record<string, string>): { status: number | null; out: string } {
  const clean = { ...process.env };
  for (const k of Object.keys(clean)) if (k.startsWith('CELERIAC_') || k.startsWith('DEMO_') || k === 'SMTP_URL' || k === 'PORT') delete clean[k];
  const r = spawnSync(process.execPath, [join(DIST, `${entry}.js`)], { env: { ...clean, ...env }, encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('npm run worker on memory:// says what to set', () => {
  const r = run('worker', {});
  expect(r.status).toBe(1);
  expect(r.out).toMatch(/^demo shop: the worker needs a broker other processes reach: set CELERIAC_BROKER_URL=redis:/m);
});

test('a bad setting names itself', () => {
  const r = run('main-express', { PORT: 'eighty' });
  expect(r.status).toBe(1);
  expect(r.out.trim()).toBe('demo shop: PORT must be a whole number from 0 to 65535, got "eighty"');
});

test('a taken SMTP port says which and what to do', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  try {
    const port = (blocker.address() as { port: number }).port;
    const r = run('main-fastify', { PORT: '0', DEMO_SMTP_PORT: String(port) });
    expect(r.status).toBe(1);
    expect(r.out).toContain(`The embedded SMTP server cannot listen on 127.0.0.1:${port}: the port is taken. Set DEMO_SMTP_PORT`);
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});
