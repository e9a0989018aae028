// A PostgreSQL server for a test file: DATABASE_URL when set, else a throwaway cluster (Debian's postgresql,
// run as the `postgres` user since initdb refuses root) on a free loopback port in a temp dir. Every test file
// works in databases of its own (createDatabase), dropped by stop(), so it never touches anyone else's tables.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { freePort } from '../../../core/test/support/redis-server';

export interface PgServer {
  /** Someone else's server (DATABASE_URL): only the databases this file created are dropped. */
  readonly external: boolean;
  readonly port: number;
  /** A new empty database; its `postgresql://` URL. */
  createDatabase(): Promise<string>;
  /** Runs SQL as the admin user in database `db` (a URL from createDatabase). */
  query<T extends object = Record<string, unknown>>(url: string, sql: string, params?: unknown[]): Promise<T[]>;
  /** Immediate shutdown (own cluster only), then start again on the same port and data directory. */
  restart(): Promise<void>;
  /** SIGSTOPs the server's processes (own cluster only): it accepts connections and answers nothing. Returns resume. */
  stall(): () => void;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): set DATABASE_URL or run .ci/run');
}

const asPostgres = (args: string[]): string[] => (process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...args] : args);

function run(args: string[]): void {
  const [cmd, ...rest] = asPostgres(args);
  const r = spawnSync(cmd!, rest, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr || r.stdout}`);
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function waitUntilUp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await withClient(url, (c) => c.query('SELECT 1'));
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`postgres at ${url} did not come up: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function databaseUrl(base: string, db: string): string {
  const u = new URL(base);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function startPostgres(options: { own?: boolean } = {}): Promise<PgServer> {
  const external = process.env.DATABASE_URL && !options.own ? process.env.DATABASE_URL : null;
  let admin: string;
  let port: number;
  let dir: string | null = null;
  const bin = external ? '' : binDir();
  const pgCtl = (...args: string[]) => run([join(bin, 'pg_ctl'), '-D', join(dir!, 'data'), ...args]);
  if (external) {
    admin = external;
    port = Number(new URL(external).port || 5432);
  } else {
    dir = mkdtempSync(join(tmpdir(), 'celeriac-pg-'));
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
      chownSync(dir, uid, gid);
    }
    port = await freePort();
    run([join(bin, 'initdb'), '-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync', '--locale=C']);
    admin = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  }
  const start = () =>
    pgCtl('-w', '-t', '60', '-l', join(dir!, 'log'), '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, 'start');
  if (!external) start();
  await waitUntilUp(admin);
  const created: string[] = [];
  return {
    external: external !== null,
    port,
    async createDatabase() {
      const name = `celeriac_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
      await withClient(admin, (c) => c.query(`CREATE DATABASE ${name}`));
      created.push(name);
      return databaseUrl(admin, name);
    },
    query: (url, sql, params) => withClient(url, async (c) => (await c.query(sql, params)).rows),
    async restart() {
      if (external) throw new Error('restart() needs a cluster of our own (startPostgres({ own: true }))');
      pgCtl('-m', 'immediate', 'stop');
      start();
      await waitUntilUp(admin);
    },
    stall() {
      if (external) throw new Error('stall() needs a cluster of our own (startPostgres({ own: true }))');
      const postmaster = Number(readFileSync(join(dir!, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      const children = spawnSync('pgrep', ['-P', String(postmaster)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
      const pids = [postmaster, ...children];
      for (const pid of pids) process.kill(pid, 'SIGSTOP');
      return () => {
        for (const pid of pids) process.kill(pid, 'SIGCONT');
      };
    },
    async stop() {
      if (external) {
        for (const name of created) await withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).catch(() => undefined);
        return;
      }
      try {
        pgCtl('-m', 'immediate', 'stop');
      } finally {
        rmSync(dir!, { recursive: true, force: true });
      }
    },
  };
}
