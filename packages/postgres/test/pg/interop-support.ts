// The PostgreSQL interop suites' shared parts: a Redis broker, a database, a Python Celery 5.2 worker whose results
// go to that database (py/pg_app.py), and a runner for pg_app.py's one-shot commands.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { PYTHON, startPythonWorker, type PythonWorker } from '../../../core/test/interop/support';
import { startRedis, type RedisServer } from '../../../core/test/support/redis-server';
import { startPostgres, type PgServer } from '../support/pg-server';

export const PG_PY_DIR = join(__dirname, 'py');

export interface PgInterop {
  redis: RedisServer;
  pg: PgServer;
  /** `postgresql://…` of this suite's database. */
  dbUrl: string;
  /** Celery's form, `db+postgresql://…`, as both sides are configured. */
  backendUrl: string;
  env(): NodeJS.ProcessEnv;
  startWorker(): Promise<PythonWorker>;
  /** `python3 pg_app.py <args…>`: the JSON it printed. */
  py<T = Record<string, unknown>>(...args: string[]): Promise<T>;
  stop(): Promise<void>;
}

/** `python3 pg_app.py <args…>` with INTEROP_REDIS_URL and INTEROP_DATABASE_URL in `env`: the JSON it printed. */
export function pgApp<T = Record<string, unknown>>(env: NodeJS.ProcessEnv, ...args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [join(PG_PY_DIR, 'pg_app.py'), ...args], { cwd: PG_PY_DIR, env, timeout: 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`pg_app.py ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as T);
      } catch {
        reject(new Error(`pg_app.py ${args.join(' ')} printed no JSON:\n${stdout}\n${stderr}`));
      }
    });
  });
}

/** The environment pg_app.py reads (a Redis URL is needed to build the app, not to create tables). */
export function pgAppEnv(backendUrl: string, redisUrl = 'redis://127.0.0.1:1/0'): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, INTEROP_REDIS_URL: redisUrl, INTEROP_DATABASE_URL: backendUrl, PYTHONPATH: PG_PY_DIR, PYTHONDONTWRITEBYTECODE: '1' };
  delete e.PYTHONHOME;
  return e;
}

export async function startPgInterop(): Promise<PgInterop> {
  const redis = await startRedis();
  const pg = await startPostgres();
  const dbUrl = await pg.createDatabase();
  const backendUrl = `db+${dbUrl}`;
  const workers: PythonWorker[] = [];
  const env = () => pgAppEnv(backendUrl, redis.url());
  return {
    redis,
    pg,
    dbUrl,
    backendUrl,
    env,
    async startWorker() {
      // NOTE: startPythonWorker passes the environment on; the database URL rides along in it.
      process.env.INTEROP_DATABASE_URL = backendUrl;
      const w = await startPythonWorker(redis.url(), { queues: ['pypg'], name: `pypg-${process.pid}`, module: 'pg_app', cwd: PG_PY_DIR, readyTimeout: 60_000 });
      workers.push(w);
      return w;
    },
    py: (...args) => pgApp(env(), ...args),
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await pg.stop();
      await redis.stop();
    },
  };
}
