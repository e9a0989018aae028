// Starts a real redis-server on a free loopback port for a test file; it can be killed and restarted
// for fault tests. With REDIS_URL set (and no fault features asked for) that server is used instead.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';

export interface RedisServer {
  readonly port: number;
  /** Someone else's server (REDIS_URL): never flush it; delete only the keys a test made. */
  readonly external: boolean;
  /** `redis://127.0.0.1:<port>/<db>` */
  url(db?: number): string;
  /** A plain client for assertions (closed by stop()). */
  client(): Redis;
  /** SIGKILL the server (data kept on disk only with `appendonly`). */
  kill(): Promise<void>;
  /** Start it again on the same port and directory. */
  restart(): Promise<void>;
  /** Empties a server of the test's own; refused on an external one. */
  flushall(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** AOF with appendfsync always, so a kill loses nothing that was acknowledged. */
  appendonly?: boolean;
  /** Always spawn our own, even when REDIS_URL is set (fault tests). */
  own?: boolean;
  /** Start it with `--requirepass` (implies `own`); url() and client() then carry the password. */
  password?: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** One PING over a plain socket: true once the server answers it (+PONG, or -NOAUTH when it wants a password). */
function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1_000, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (b) => {
      reply += b.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') || reply.startsWith('-NOAUTH'));
    });
  });
}

// NOTE: probed with a plain socket, not ioredis: disconnect() after a refused connect leaves a 2 s timer behind
// (ioredis' disconnectTimeout), which kept jest from exiting.
export async function waitUntilUp(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pings(port))) {
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not come up`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRedis(options: StartOptions = {}): Promise<RedisServer> {
  const external = process.env.REDIS_URL;
  if (external && !options.own && !options.appendonly && options.password === undefined) return externalServer(external);
  const password = options.password;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'celeriac-redis-'));
  let proc: ChildProcess | null = null;
  const clients: Redis[] = [];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--logfile', join(dir, 'redis.log')];
  if (options.appendonly) args.push('--appendonly', 'yes', '--appendfsync', 'always');
  else args.push('--appendonly', 'no');
  if (password !== undefined) args.push('--requirepass', password);

  const launch = async () => {
    proc = spawn('redis-server', args, { stdio: 'ignore' });
    proc.on('error', (err) => {
      throw new Error(`cannot start redis-server (is it installed?): ${err.message}`);
    });
    await waitUntilUp(port);
  };
  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
    proc = null;
  };
  await launch();
  return {
    port,
    external: false,
    url: (db = 0) => `redis://${password === undefined ? '' : `:${encodeURIComponent(password)}@`}127.0.0.1:${port}/${db}`,
    client() {
      const c = new Redis({ port, host: '127.0.0.1', password });
      c.on('error', () => undefined);
      clients.push(c);
      return c;
    },
    kill,
    restart: launch,
    async flushall() {
      const c = new Redis({ port, host: '127.0.0.1', password });
      await c.flushall();
      c.disconnect();
    },
    async stop() {
      for (const c of clients) c.disconnect();
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function externalServer(url: string): RedisServer {
  const u = new URL(url);
  const port = Number(u.port || 6379);
  const clients: Redis[] = [];
  const unsupported = async () => {
    throw new Error('kill/restart need a redis-server of the test’s own (startRedis({ own: true }))');
  };
  return {
    port,
    external: true,
    // NOTE: the scheme and credentials of REDIS_URL are kept (rediss://, user:password@); only the db may change.
    url: (db = Number(u.pathname.slice(1) || 0)) => {
      const v = new URL(url);
      v.pathname = `/${db}`;
      return v.toString();
    },
    client() {
      const c = new Redis(url);
      clients.push(c);
      return c;
    },
    kill: unsupported,
    restart: unsupported,
    async flushall() {
      throw new Error(`refusing to flush ${url}: REDIS_URL is not the test's own server (delete only the keys the test made)`);
    },
    async stop() {
      for (const c of clients) c.disconnect();
    },
  };
}
