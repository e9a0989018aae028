// A Redis Sentinel deployment of the test's own: a master, a replica and three redis-sentinel processes on free
// loopback ports, in a temporary directory. The master can be failed over (SENTINEL FAILOVER) or SIGKILLed.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import type { SettingsInput } from '../../src';
import { freePort, waitUntilUp } from './redis-server';

export const MASTER_NAME = 'celeriac-test';

export interface SentinelOptions {
  /** Sentinel's down-after-milliseconds: how long a dead master goes unnoticed. @default 1000 */
  downAfter?: number;
  /** The master's `min-replicas-to-write` (0: off). @default 0 */
  minReplicasToWrite?: number;
}

export interface SentinelDeployment {
  readonly masterName: string;
  readonly sentinelPorts: readonly number[];
  /** `sentinel://127.0.0.1:p1;sentinel://127.0.0.1:p2;sentinel://127.0.0.1:p3/<db>` */
  url(db?: number): string;
  /** The settings an app needs for the broker (and backend) on this deployment. */
  settings(db?: number): SettingsInput;
  /** The port of the master the sentinels name now. */
  masterPort(): Promise<number>;
  /** A plain client to the current master (closed by stop()). */
  master(): Promise<Redis>;
  /** `SENTINEL FAILOVER`, then waits until every sentinel names the new master and it answers as one. */
  failover(): Promise<{ from: number; to: number }>;
  /** SIGKILLs the current master and waits until the sentinels promoted the replica. */
  killMaster(): Promise<{ from: number; to: number }>;
  /** Starts a killed server again (the sentinels make it a replica of the new master). */
  restart(port: number): Promise<void>;
  /** Empties both data servers. */
  flushall(): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`sentinel deployment: timed out after ${ms} ms waiting for ${what}${last ? ` (${String(last)})` : ''}`);
    await sleep(100);
  }
}

export async function startSentinels(options: SentinelOptions = {}): Promise<SentinelDeployment> {
  const dir = mkdtempSync(join(tmpdir(), 'celeriac-sentinel-'));
  const procs = new Map<number, ChildProcess>();
  const dataArgs = new Map<number, string[]>();
  const clients: Redis[] = [];
  const client = (port: number) => {
    const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    c.on('error', () => undefined);
    clients.push(c);
    return c;
  };
  const launch = async (port: number, cmd: string, args: string[]) => {
    const p = spawn(cmd, args, { stdio: 'ignore' });
    p.on('error', (err) => {
      throw new Error(`cannot start ${cmd} (is it installed?): ${err.message}`);
    });
    procs.set(port, p);
    await waitUntilUp(port);
  };
  const kill = async (port: number) => {
    const p = procs.get(port);
    procs.delete(port);
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  };

  const [masterPort, replicaPort] = [await freePort(), await freePort()];
  const dataServer = (port: number, replicaOf?: number) => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
    args.push('--dbfilename', `dump-${port}.rdb`, '--logfile', join(dir, `redis-${port}.log`));
    if (options.minReplicasToWrite) args.push('--min-replicas-to-write', String(options.minReplicasToWrite), '--min-replicas-max-lag', '10');
    if (replicaOf) args.push('--replicaof', '127.0.0.1', String(replicaOf));
    dataArgs.set(port, args);
    return launch(port, 'redis-server', args);
  };
  await dataServer(masterPort);
  await dataServer(replicaPort, masterPort);

  const sentinelPorts = [await freePort(), await freePort(), await freePort()];
  for (const port of sentinelPorts) {
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `logfile ${join(dir, `sentinel-${port}.log`)}`,
        `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${MASTER_NAME} ${options.downAfter ?? 1_000}`,
        `sentinel failover-timeout ${MASTER_NAME} 10000`,
        `sentinel parallel-syncs ${MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    await launch(port, 'redis-sentinel', [conf]);
  }
  const sentinels = sentinelPorts.map(client);

  const masterPortNow = async (s: Redis = sentinels[0]!) => {
    const addr = (await s.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as [string, string] | null;
    if (!addr) throw new Error('no master known');
    return Number(addr[1]);
  };
  /** Every sentinel names `port`, and that server answers ROLE as master. */
  const settledOn = async (exclude?: number) => {
    const ports = await Promise.all(sentinels.map((s) => masterPortNow(s)));
    const port = ports[0]!;
    if (ports.some((p) => p !== port) || port === exclude) return undefined;
    const role = (await client(port).call('ROLE')) as [string];
    return role[0] === 'master' ? port : undefined;
  };
  // NOTE: a kill needs a quorum of sentinels that know one another and the replica (learnt over the master's
  // hello channel and INFO, a few seconds after start).
  await waitFor('the sentinels to find one another and the replica', async () => {
    for (const s of sentinels) {
      const peers = (await s.call('SENTINEL', 'sentinels', MASTER_NAME)) as unknown[];
      const replicas = (await s.call('SENTINEL', 'replicas', MASTER_NAME)) as string[][];
      const ok = replicas.some((r) => r[r.indexOf('flags') + 1] === 'slave' && r[r.indexOf('master-link-status') + 1] === 'ok');
      if (peers.length < 2 || !ok) return undefined;
    }
    return true;
  });

  const url = (db = 0) => sentinelPorts.map((p, i) => `sentinel://127.0.0.1:${p}${i === 0 && db ? `/${db}` : ''}`).join(';');
  const replicaUp = async (master: number) => {
    const info = await client(master).info('replication');
    return /connected_slaves:[1-9]/.test(info) && /state=online/.test(info) ? true : undefined;
  };

  return {
    masterName: MASTER_NAME,
    sentinelPorts,
    url,
    settings: (db = 0) => ({ brokerUrl: url(db), brokerTransportOptions: { masterName: MASTER_NAME } }),
    masterPort: () => masterPortNow(),
    async master() {
      return client(await masterPortNow());
    },
    async failover() {
      const from = await masterPortNow();
      await waitFor('a replica in sync before the failover', () => replicaUp(from));
      await waitFor('SENTINEL FAILOVER to be accepted', async () => ((await sentinels[0]!.call('SENTINEL', 'failover', MASTER_NAME)) === 'OK' ? true : undefined));
      const to = await waitFor('the new master', () => settledOn(from));
      return { from, to };
    },
    async killMaster() {
      const from = await masterPortNow();
      await waitFor('a replica in sync before the kill', () => replicaUp(from));
      await kill(from);
      const to = await waitFor('the sentinels to promote the replica', () => settledOn(from));
      return { from, to };
    },
    async restart(port) {
      const args = dataArgs.get(port);
      if (!args) throw new Error(`no data server on port ${port}`);
      await launch(port, 'redis-server', args);
    },
    async flushall() {
      const m = client(await masterPortNow());
      await m.flushall();
      await m.call('WAIT', '1', '5000');
    },
    async stop() {
      for (const c of clients) c.disconnect();
      for (const port of [...procs.keys()]) await kill(port);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
