// Monitoring interop: a real Python Celery 5.2 worker and a celeriac worker on one Redis. `celery inspect ping`
// and `celeriac inspect ping` list both, `celery events --dump` shows a celeriac task's events, and the inspect
// commands describe what a celeriac worker runs and holds.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import type { Celeriac, Worker } from '../../src';
import { startRedis, type RedisServer } from '../support/redis-server';
import { assertBuilt, runCli } from '../support/cli';
import { PY_DIR, PYTHON, createInteropApp, pyEnv, startPythonWorker, type PythonWorker } from './support';

jest.setTimeout(60_000);

let redis: RedisServer;
let py: PythonWorker;
let app: Celeriac;
let worker: Worker;
let url: string;
const NODE = 'nodemon@test';
let holding = 0;
let release!: () => void;
const held = new Promise<void>((r) => (release = r));

function celery(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(PYTHON, ['-m', 'celery', '-A', 'interop_app', ...args], { cwd: PY_DIR, env: pyEnv(url), timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  assertBuilt();
  redis = await startRedis({ own: true });
  url = redis.url();
  ({ app } = createInteropApp(url));
  app.task('node.sleep', async (ms: number) => {
    await new Promise((r) => setTimeout(r, ms));
    return ms;
  });
  // NOTE: held until the test lets it go, so what inspect sees does not depend on how long the CLIs take to start.
  app.task('node.hold', async (ms: number) => {
    holding++;
    await held;
    return ms;
  });
  worker = app.worker({ queues: ['node'], concurrency: 2, hostname: NODE, sendTaskEvents: true });
  [py] = await Promise.all([startPythonWorker(url, { name: 'pymon', queues: ['py'] }), worker.start()]);
});

afterAll(async () => {
  release();
  await worker?.close();
  await app?.close();
  await py?.stop();
  await redis?.stop();
});

describe('remote control (pidbox)', () => {
  it('Python `celery inspect ping` lists the celeriac worker beside the Python one', async () => {
    const r = await celery(['inspect', 'ping', '-t', '2']);
    expect(r.stdout).toMatch(new RegExp(`-> +${NODE}: OK\\n +pong`));
    expect(r.stdout).toMatch(/-> +pymon@\S+: OK/);
    expect(r.stdout).toMatch(/2 nodes online/);
  });

  it('`celeriac inspect ping` lists both workers', async () => {
    const r = await runCli(['inspect', 'ping', '-b', url, '-t', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`-> ${NODE}: OK`);
    expect(r.stdout).toMatch(/-> pymon@\S+: OK\n {4}pong/);
    expect(r.stdout).toContain('2 nodes online.');
  });

  it('`celeriac inspect registered` shows each worker its own tasks, and -d asks only one', async () => {
    const r = await runCli(['inspect', 'registered', '-b', url, '--json']);
    const byNode = JSON.parse(r.stdout) as Record<string, string[]>;
    expect(byNode[NODE]).toEqual(expect.arrayContaining(['node.add', 'node.sleep']));
    const pyName = Object.keys(byNode).find((n) => n.startsWith('pymon@'))!;
    expect(byNode[pyName]).toEqual(expect.arrayContaining(['proj.add']));
    const one = await runCli(['inspect', 'ping', '-b', url, '-d', NODE, '--json']);
    expect(Object.keys(JSON.parse(one.stdout) as object)).toEqual([NODE]);
  });

  it('inspect active / reserved / stats / revoked describe the celeriac worker (also to Python)', async () => {
    const sleeps = await Promise.all([0, 1, 2].map(() => app.sendTask('node.hold', [2_500])));
    const deadline = Date.now() + 10_000;
    while (holding < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    const active = JSON.parse((await runCli(['inspect', 'active', '-b', url, '-d', NODE, '--json'])).stdout) as Record<string, { id: string; name: string; args: unknown[]; time_start: number }[]>;
    expect(active[NODE]!.map((t) => t.id).sort()).toEqual(sleeps.slice(0, 2).map((s) => s.id).sort());
    expect(active[NODE]![0]).toMatchObject({ name: 'node.hold', args: [2_500], hostname: NODE });
    const reserved = JSON.parse((await runCli(['inspect', 'reserved', '-b', url, '-d', NODE, '--json'])).stdout) as Record<string, { id: string }[]>;
    expect(reserved[NODE]!.map((t) => t.id)).toEqual([sleeps[2]!.id]);
    const pyActive = await celery(['inspect', 'active', '-d', NODE, '-j']);
    expect(pyActive.stdout).toMatch(new RegExp(`"${NODE}": \\[\\{"id": "(${sleeps.map((x) => x.id).join('|')})", "name": "node.hold"`));
    await app.asyncResult(sleeps[0]!.id).revoke();
    const revoked = JSON.parse((await runCli(['inspect', 'revoked', '-b', url, '-d', NODE, '--json'])).stdout) as Record<string, string[]>;
    expect(revoked[NODE]).toContain(sleeps[0]!.id);
    release();
    await Promise.all(sleeps.slice(1).map((s) => s.get({ timeout: 10_000 })));
    const stats = JSON.parse((await runCli(['inspect', 'stats', '-b', url, '-d', NODE, '--json'])).stdout) as Record<string, { total: Record<string, number>; pid: number }>;
    expect(stats[NODE]!.total['node.hold']).toBeGreaterThanOrEqual(2);
    expect(stats[NODE]!.pid).toBe(process.pid);
  });

  it('no worker answering is a clear error (exit 69), not a wait', async () => {
    const r = await runCli(['inspect', 'ping', '-b', url, '-d', 'nobody@nowhere', '-t', '0.5']);
    expect(r.code).toBe(69);
    expect(r.stderr).toContain('No worker replied within 0.5 s');
    const bad = await runCli(['inspect', 'pong', '-b', url]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('celeriac inspect needs one of ping, active');
  });
});

describe('task events (-E)', () => {
  let dump: ChildProcess | null = null;
  afterEach(async () => {
    if (dump && dump.exitCode === null) {
      const gone = new Promise((r) => dump!.once('exit', r));
      dump.kill('SIGTERM');
      await gone;
    }
  });

  it('`celery events --dump` shows a celeriac task received, started and succeeded, and the worker online', async () => {
    dump = spawn(PYTHON, ['-m', 'celery', '-A', 'interop_app', 'events', '--dump'], { cwd: PY_DIR, env: pyEnv(url), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    dump.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    dump.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const waitFor = async (re: RegExp, ms = 15_000) => {
      const until = Date.now() + ms;
      while (!re.test(out)) {
        if (Date.now() > until) throw new Error(`no ${re} in celery events --dump output:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    // NOTE: the dumper shows the celeriac worker's heartbeats once it listens: then it is subscribed.
    await waitFor(new RegExp(`${NODE.replace('.', '\\.')} \\[.*\\] heartbeat`));
    const res = await app.sendTask('node.add', [20, 22]);
    await res.get({ timeout: 5_000 });
    await waitFor(new RegExp(`task received: node\\.add\\(${res.id}\\) args=\\(20, 22\\)`));
    await waitFor(new RegExp(`task started: node\\.add\\(${res.id}\\)`));
    await waitFor(new RegExp(`task succeeded: node\\.add\\(${res.id}\\).*result=42`));
    expect(out).not.toContain('celeriac_call');
  });
});
