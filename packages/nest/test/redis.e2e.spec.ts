// On a real redis-server: the README example's API and worker as separate Node processes, a jest-hosted API against
// that worker, a warm shutdown under load whose tasks send tasks, and a process that exits alone after app.close().
import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { createApp, type Celeriac } from '@celeriac/core';
import { CELERIAC_APP } from '@celeriac/nest';
import { startRedis, type RedisServer } from '../../core/test/support/redis-server';

const REGISTER = join(__dirname, 'support/register.js');

interface Child {
  proc: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeout?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnTs(file: string, env: Record<string, string>): Child {
  const proc = spawn(process.execPath, ['-r', REGISTER, file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    proc,
    output: () => out,
    exited,
    async waitFor(pattern, timeout = 30_000) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const m = out.match(pattern);
        if (m) return m;
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${file} exited before ${pattern}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`${file}: no ${pattern} within ${timeout} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

async function stop(child: Child | undefined): Promise<void> {
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 20_000);
  await child.exited;
  clearTimeout(timer);
}

async function until(cond: () => Promise<boolean>, timeout = 30_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

jest.setTimeout(90_000);

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis?.stop());

describe('the README example: API and worker processes', () => {
  let worker: Child | undefined;
  let api: Child | undefined;
  let url: string;

  beforeAll(async () => {
    url = redis.url(5);
    worker = spawnTs(join(__dirname, '../examples/worker.ts'), { CELERIAC_BROKER_URL: url });
    await worker.waitFor(/worker ready/);
  });
  afterAll(async () => {
    await stop(api);
    await stop(worker);
  });

  test('POST /users answers 202; the worker process runs the task with its injected Mailer; GET /tasks/:id shows the result', async () => {
    api = spawnTs(join(__dirname, '../examples/main.ts'), { CELERIAC_BROKER_URL: url, PORT: '0' });
    const [, base] = await api.waitFor(/API listening on (http:\/\/\S+)/);
    const posted = await fetch(`${base}/users`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ann@example.com', username: 'ann' }) });
    expect(posted.status).toBe(202);
    const body = (await posted.json()) as { task_id: string; status_url: string };
    expect(body.status_url).toBe(`/tasks/${body.task_id}`);
    let status: { state?: string; result?: string } = {};
    await until(async () => {
      status = (await (await fetch(`${base}${body.status_url}`)).json()) as typeof status;
      return status.state === 'SUCCESS';
    });
    expect(status.result).toMatch(new RegExp(`^"Welcome ann: activate with [0-9a-f-]{36}" sent to ann@example.com by process ${worker!.proc.pid}$`));
    expect(worker!.output()).toContain('users.send_register_active_mail');
  });

  test('a jest-hosted Nest API (supertest) delays; the result comes back from the worker process', async () => {
    process.env.CELERIAC_BROKER_URL = url;
    let app: INestApplication | undefined;
    try {
      const { AppModule } = await import('../examples/app.module');
      const m = await Test.createTestingModule({ imports: [AppModule] }).compile();
      app = m.createNestApplication({ logger: false });
      await app.init();
      const posted = await request(app.getHttpServer()).post('/users').send({ email: 'bo@example.com', username: 'bo' }).expect(202);
      const celeriac = app.get<Celeriac>(CELERIAC_APP);
      expect(celeriac.settings.brokerUrl).toBe(url);
      const result = await celeriac.asyncResult<string>(posted.body.task_id).get({ timeout: 20_000 });
      expect(result).toContain(`sent to bo@example.com by process ${worker!.proc.pid}`);
      expect(result).not.toContain(`process ${process.pid}`);
    } finally {
      delete process.env.CELERIAC_BROKER_URL;
      await app?.close();
    }
  });
});

describe('shutdown', () => {
  test('SIGTERM under load: in-flight tasks finish and their follow-up sends succeed; the rest stays queued', async () => {
    const url = redis.url(6);
    const worker = spawnTs(join(__dirname, 'fixtures/load-worker.ts'), { BROKER_URL: url });
    const app = createApp('load', { broker: url });
    try {
      await worker.waitFor(/worker ready/);
      const sent = await Promise.all(Array.from({ length: 10 }, (_, i) => app.sendTask<number>('load.slow', [i], { queue: 'load' })));
      await until(async () => (await Promise.all(sent.map((r) => r.state()))).includes('STARTED'));
      worker.proc.kill('SIGTERM');
      const exit = await worker.exited;
      expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
      const states = await Promise.all(sent.map((r) => r.state()));
      const done = states.filter((s) => s === 'SUCCESS').length;
      expect(states.filter((s) => s !== 'SUCCESS' && s !== 'PENDING')).toEqual([]);
      expect(done).toBeGreaterThanOrEqual(1);
      expect(await app.broker.queueLength('followup')).toBe(done);
      expect(await app.broker.queueLength('load')).toBe(10 - done);
      expect(worker.output()).not.toMatch(/ERROR/);
      if (process.env.NEST_E2E_DEBUG) console.log({ done, states, output: worker.output() });
    } finally {
      await stop(worker);
      await app.close();
    }
  });

  test('after app.close() the process exits by itself (no open handle)', async () => {
    const child = spawnTs(join(__dirname, 'fixtures/exits-alone.ts'), { BROKER_URL: redis.url(7), EMBEDDED_WORKER: '1' });
    const exit = await child.exited;
    expect(child.output()).toContain('result 7');
    expect(child.output()).toContain('closed');
    expect(child.output()).not.toContain('still open');
    expect(exit).toEqual({ code: 0, signal: null });
  });
});
