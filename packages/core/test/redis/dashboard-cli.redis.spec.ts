// `celeriac dashboard` as users run it: it loads @celeriac/dashboard, serves on 127.0.0.1 at the port given,
// takes its token from the environment, and closes on SIGTERM.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { startRedis, freePort, type RedisServer } from '../support/redis-server';
import { CliProcess, assertBuilt, runCli } from '../support/cli';

jest.setTimeout(30_000);

let redis: RedisServer;
beforeAll(async () => {
  assertBuilt();
  const dist = join(__dirname, '../../../dashboard/dist/index.js');
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npx turbo run build\` first`);
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

it('serves the dashboard with the token from CELERIAC_DASHBOARD_TOKEN, and stops on SIGTERM', async () => {
  const port = await freePort();
  const cli = new CliProcess(['dashboard', '-b', redis.url(0), '--port', String(port), '--read-only'], { CELERIAC_DASHBOARD_TOKEN: 'cli-token' });
  try {
    await cli.waitFor(new RegExp(`dashboard on http://127\\.0\\.0\\.1:${port}/ \\(read-only\\)`));
    expect(cli.output).not.toContain('cli-token');
    expect((await fetch(`http://127.0.0.1:${port}/api/overview`)).status).toBe(401);
    const ok = await fetch(`http://127.0.0.1:${port}/api/overview`, { headers: { authorization: 'Bearer cli-token' } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { readOnly: boolean }).readOnly).toBe(true);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  } finally {
    cli.kill();
  }
});

it('a bad port or basic-auth setting is a clear error', async () => {
  const bad = await runCli(['dashboard', '-b', redis.url(0), '--port', 'eighty']);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('--port must be a port number (0–65535), got eighty');
  const basic = await runCli(['dashboard', '-b', redis.url(0), '--port', '0'], { CELERIAC_DASHBOARD_BASIC_AUTH: 'nopassword' });
  expect(basic.stderr).toContain('CELERIAC_DASHBOARD_BASIC_AUTH must be <username>:<password>');
});
