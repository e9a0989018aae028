// `celeriac dashboard` and `celeriac worker -E` as users run them: it loads @celeriac/dashboard, serves on 127.0.0.1 at the port given,
// takes its token from the environment, and closes on SIGTERM.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { startRedis, freePort, type RedisServer } from '../support/redis-server';
import { CliProcess, assertBuilt, runCli } from '../support/cli';
import { EventHistory, consoleLogger, createApp } from '../../src';

jest.setTimeout(30_000);

let redis: RedisServer;
beforeAll(async () => {
  assertBuilt();
  const dist = join(__dirname, '../../../dashboard/dist/index.js');
  if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`npx turbo run build\` first`);
  redis = await startRedis({ own: true });
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

it('`celeriac worker -E` sends task events (kept in the history), `celeriac inspect ping` sees it under its -n name', async () => {
  const url = redis.url(3);
  const w = new CliProcess(['worker', '-A', './cli-app.js', '-b', url, '-E', '-n', 'cli-events@test']);
  try {
    await w.waitFor(/ready/);
    const app = createApp('cli-events', { broker: url, logger: consoleLogger('silent') });
    try {
      const r = await app.sendTask('fixture.add', [40, 2]);
      expect(await r.get({ timeout: 5_000 })).toBe(42);
      const history = new EventHistory(app.broker);
      const deadline = Date.now() + 5_000;
      let state = '';
      while (state !== 'SUCCESS' && Date.now() < deadline) {
        state = (await history.task(r.id))?.task.state ?? '';
        if (state !== 'SUCCESS') await new Promise((res) => setTimeout(res, 50));
      }
      expect(state).toBe('SUCCESS');
      expect((await history.task(r.id))!.task).toMatchObject({ name: 'fixture.add', args: '(40, 2)', worker: 'cli-events@test', result: '42' });
    } finally {
      await app.close();
    }
    const ping = await runCli(['inspect', 'ping', '-b', url, '--json']);
    expect(JSON.parse(ping.stdout)).toEqual({ 'cli-events@test': { ok: 'pong' } });
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  } finally {
    w.kill();
  }
});
