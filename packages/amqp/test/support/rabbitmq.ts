// Starts a real rabbitmq-server (Debian's package) on free loopback ports for one test file, in a temp
// directory of its own (data, logs, config, no plugins); it can be killed and restarted for fault tests.
// Tests that need an empty broker per test get one throwaway vhost each (`freshUrl()`), created at boot from a
// definitions file (AMQP itself cannot create a vhost). With AMQP_URL set, tests that need neither faults nor
// fresh vhosts use that server instead, with queue names of their own.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { freePort } from '../../../core/test/support/redis-server';

export { freePort };

export interface RabbitServer {
  readonly port: number;
  /** Someone else's server (AMQP_URL). */
  readonly external: boolean;
  /** `amqp://guest:guest@127.0.0.1:<port>/` (the default vhost) */
  url(): string;
  /** The URL of a vhost no other test used (only on our own server, started with `vhosts`). */
  freshUrl(): string;
  /** SIGKILL the whole server (its Erlang VM included). */
  kill(): Promise<void>;
  /** Start it again on the same ports and data directory (durable queues and persistent messages survive). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface RabbitOptions {
  /** RabbitMQ's consumer_timeout (ms): a channel holding a delivery unacked longer is closed by the server. */
  consumerTimeout?: number;
  /** Always start our own, even when AMQP_URL is set (fault tests). */
  own?: boolean;
  /** Throwaway vhosts to create at boot, handed out by freshUrl() (implies `own`). */
  vhosts?: number;
  /** An absolute memory high watermark in bytes (a tiny one raises the memory alarm: publishers are blocked). */
  memoryWatermark?: number;
}

/** RabbitMQ's password hash (rabbit_password_hashing_sha256): base64(salt + sha256(salt + password)). */
function passwordHash(password: string): string {
  const salt = randomBytes(4);
  return Buffer.concat([salt, createHash('sha256').update(Buffer.concat([salt, Buffer.from(password)])).digest()]).toString('base64');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitUp(url: string, proc: () => ChildProcess | null, log: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const p = proc();
    if (p && p.exitCode !== null) throw new Error(`rabbitmq-server exited with ${p.exitCode} (logs in ${log})`);
    try {
      const c = await amqp.connect(url, { timeout: 2_000 });
      await c.close();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`rabbitmq-server not up within ${ms} ms (logs in ${log})`);
      await sleep(250);
    }
  }
}

export async function startRabbit(options: RabbitOptions = {}): Promise<RabbitServer> {
  const external = process.env.AMQP_URL;
  if (external && !options.own && options.consumerTimeout === undefined && !options.vhosts && options.memoryWatermark === undefined) {
    return {
      port: Number(new URL(external).port || 5672),
      external: true,
      url: () => external,
      freshUrl: () => {
        throw new Error('fresh vhosts need our own rabbitmq-server (start it with { vhosts })');
      },
      kill: async () => {
        throw new Error('refusing to kill an external RabbitMQ (AMQP_URL)');
      },
      restart: async () => {
        throw new Error('refusing to restart an external RabbitMQ (AMQP_URL)');
      },
      stop: async () => undefined,
    };
  }
  const port = await freePort();
  const distPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'celeriac-rabbit-'));
  const conf = join(dir, 'rabbitmq.conf');
  const lines = [
    'listeners.tcp.1 = 127.0.0.1:' + port,
    'loopback_users = none',
    'log.console = false',
    'log.file.level = warning',
    // NOTE: a shared 2-core machine: no disk alarm from a nearly full /tmp, no memory alarm from a busy neighbour.
    'disk_free_limit.absolute = 1MB',
    options.memoryWatermark === undefined ? 'vm_memory_high_watermark.relative = 0.8' : `vm_memory_high_watermark.absolute = ${options.memoryWatermark}`,
  ];
  if (options.consumerTimeout !== undefined) lines.push(`consumer_timeout = ${options.consumerTimeout}`);
  const vhosts = ['/', ...Array.from({ length: options.vhosts ?? 0 }, (_, i) => `t${i}`)];
  const defs = {
    users: [{ name: 'guest', password_hash: passwordHash('guest'), hashing_algorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'] }],
    vhosts: vhosts.map((name) => ({ name })),
    permissions: vhosts.map((vhost) => ({ user: 'guest', vhost, configure: '.*', write: '.*', read: '.*' })),
  };
  writeFileSync(join(dir, 'definitions.json'), JSON.stringify(defs));
  lines.push(`load_definitions = ${join(dir, 'definitions.json')}`);
  writeFileSync(conf, lines.join('\n') + '\n');
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, '.erlang.cookie'), randomUUID().replace(/-/g, ''), { mode: 0o400 });
  const env = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: `celeriac${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: conf,
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
  };
  const url = `amqp://guest:guest@127.0.0.1:${port}/`;
  let proc: ChildProcess | null = null;

  const launch = async () => {
    proc = spawn('/usr/lib/rabbitmq/bin/rabbitmq-server', [], { env, cwd: dir, stdio: 'ignore', detached: true });
    proc.unref();
    await waitUp(url, () => proc, join(dir, 'log'));
  };
  const killGroup = async (signal: NodeJS.Signals) => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    try {
      process.kill(-p.pid!, signal);
    } catch {
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, 15_000)))]);
    clearTimeout(timer);
    // NOTE: the Erlang VM may outlive the shell that started it; it is in the same process group.
    try {
      process.kill(-p.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
    await sleep(200);
  };

  await launch();
  let nextVhost = 0;
  return {
    port,
    external: false,
    url: () => url,
    freshUrl: () => {
      if (nextVhost >= (options.vhosts ?? 0)) throw new Error(`all ${options.vhosts ?? 0} throwaway vhosts are used: start the server with more`);
      return `amqp://guest:guest@127.0.0.1:${port}/t${nextVhost++}`;
    },
    kill: () => killGroup('SIGKILL'),
    restart: launch,
    async stop() {
      await killGroup('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
