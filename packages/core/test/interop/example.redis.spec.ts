// The runnable example of docs/python-celery.md (files in ./example), run as the docs say: a Python Celery
// worker, a celeriac worker started with the `celeriac` CLI (built dist), then `node send.js` and `python3 send.py`.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startRedis, type RedisServer } from '../support/redis-server';
import { PYTHON, startPythonWorker, type PythonWorker } from './support';

jest.setTimeout(30_000);

const EXAMPLE = join(__dirname, 'example');
const CLI = join(__dirname, '../../dist/cli/celeriac.js');

let redis: RedisServer;
let py: PythonWorker;
let node: ChildProcess;
let nodeLog = '';
let url: string;

function env(): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, BROKER_URL: url, PYTHONPATH: EXAMPLE, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };
  delete e.PYTHONHOME;
  return e;
}

/** `npx celeriac worker -A ./tasks.js -Q node -l info`, resolved on its "ready" log line. */
function startCeleriacWorker(): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [CLI, 'worker', '-A', './tasks.js', '-Q', 'node', '-l', 'info'], { cwd: EXAMPLE, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`celeriac worker not ready within 15 s:\n${nodeLog}`));
    }, 15_000);
    const onData = (chunk: Buffer) => {
      nodeLog += chunk.toString('utf8');
      if (/ready: queues node/.test(nodeLog)) {
        clearTimeout(timer);
        resolve(proc);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`celeriac worker exited (${code}) before it was ready:\n${nodeLog}`));
    });
  });
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: EXAMPLE, env: env(), timeout: 20_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}\ncelery worker:\n${py.logs()}\nceleriac worker:\n${nodeLog}`));
      else resolve(stdout);
    });
  });
}

beforeAll(async () => {
  redis = await startRedis({ own: true });
  url = redis.url();
  [py, node] = await Promise.all([startPythonWorker(url, { name: 'example', queues: ['py'], module: 'proj', cwd: EXAMPLE }), startCeleriacWorker()]);
});

afterAll(async () => {
  if (node && node.exitCode === null && node.signalCode === null) {
    const exited = new Promise<void>((r) => node.once('exit', () => r()));
    node.kill('SIGTERM');
    const killer = setTimeout(() => node.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }
  await py?.stop();
  await redis?.stop();
});

describe('docs/python-celery.md example', () => {
  it('node send.js: Node calls Python, a link comes back to Node, a Python error arrives as TaskError', async () => {
    const out = await run(process.execPath, ['send.js']);
    expect(out).toContain('proj.add(2, 3) = 5\n');
    expect(out).toContain('proj.add(1, 2) | node.mul(10) = 30\n');
    expect(out).toContain("proj.fail raised builtins.ValueError [ 'no such user' ]\n");
  });

  it('python3 send.py: Python calls Node with kwargs; a JS TypeError is a Python TypeError', async () => {
    const out = await run(PYTHON, ['send.py']);
    expect(out).toBe('node.greet = Hi, Ann!\nnode.fail raised TypeError: bad input\n');
  });

  it('the CLI worker shuts down warm on SIGTERM', async () => {
    const exited = new Promise<number | null>((r) => node.once('exit', (code) => r(code)));
    node.kill('SIGTERM');
    await expect(exited).resolves.toBe(0);
  });
});
