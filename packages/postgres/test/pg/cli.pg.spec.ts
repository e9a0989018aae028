// `celeriac worker` and `celeriac result` in real processes with results in PostgreSQL: core loads
// @celeriac/postgres through its transport seam from node_modules (no jest module mapping there).
import { join } from 'node:path';
import { consoleLogger, createApp, TaskError, type Celeriac } from '@celeriac/core';
import { assertBuilt, CliProcess, runCli } from '../../../core/test/support/cli';
import { startRedis, type RedisServer } from '../../../core/test/support/redis-server';
import { startPostgres, type PgServer } from '../support/pg-server';

jest.setTimeout(60_000);

const APP = join(__dirname, '..', 'fixtures', 'pg-app.js');
let redis: RedisServer;
let pg: PgServer;
let backendUrl: string;
let app: Celeriac;

beforeAll(async () => {
  assertBuilt();
  redis = await startRedis();
  pg = await startPostgres();
  // NOTE: the throwaway cluster trusts every login; the password is there to be hidden in the banner.
  const db = new URL(await pg.createDatabase());
  db.password = 'pw-secret';
  backendUrl = `db+${db.toString()}`;
  app = createApp('pg-cli', { broker: redis.url(), backend: backendUrl, logger: consoleLogger('silent') });
});
afterAll(async () => {
  await app?.close();
  await pg?.stop();
  await redis?.stop();
});

test('a CLI worker stores results and failures in PostgreSQL; `celeriac result` reads them', async () => {
  const env = { PG_RESULT_BACKEND: backendUrl };
  const w = new CliProcess(['worker', '-A', APP, '-b', redis.url(), '-n', 'pg-cli@host', '-l', 'info'], env);
  try {
    await w.waitFor(/pg-cli@host ready\./, 30_000);
    expect(w.output).toMatch(/- results: +db\+postgresql:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/celeriac_\w+/);
    expect(w.output).not.toContain('pw-secret');
    const ok = await app.sendTask('pgcli.add', [2, 3]);
    expect(await ok.get({ timeout: 20_000 })).toBe(5);
    const bad = await app.sendTask('pgcli.fail', []);
    await expect(bad.get({ timeout: 20_000 })).rejects.toBeInstanceOf(TaskError);
    const read = await runCli(['result', ok.id, '-A', APP, '-b', redis.url()], env);
    expect(read.code).toBe(0);
    expect(JSON.parse(read.stdout)).toMatchObject({ task_id: ok.id, status: 'SUCCESS', result: 5 });
    const failed = await runCli(['result', bad.id, '-A', APP, '-b', redis.url()], env);
    expect(JSON.parse(failed.stdout)).toMatchObject({ status: 'FAILURE', result: { exc_type: 'TypeError', exc_message: ['pg cli failure'] } });
  } finally {
    w.child.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  }
});
