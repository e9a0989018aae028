// Loads the Lua scripts in commands/ (named <name>-<numKeys>.lua) as ioredis custom commands.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type Redis from 'ioredis';

export interface Scripts {
  celeriacFetch(unacked: string, max: number, tagPrefix: string, ...lists: string[]): Promise<string[]>;
  celeriacRequeue(unacked: string, ...tags: string[]): Promise<number>;
  celeriacStore(n: number, ...tripletsThenAcks: (string | number)[]): Promise<number>;
  celeriacDeadLetter(unacked: string, deadLetter: string, tag: string, entry: string): Promise<number>;
  celeriacDefer(unacked: string, delayed: string, tag: string, eta: number, member: string): Promise<number>;
  celeriacTick(
    workers: string,
    info: string,
    delayed: string,
    since: string,
    workerId: string,
    infoJson: string,
    timeout: number,
    unackedPrefix: string,
    infoPrefix: string,
    maxPromote: number,
  ): Promise<[number, number, number]>;
  celeriacRate(key: string, intervalMs: number): Promise<[number]>;
  celeriacSlotAcquire(slots: string, wait: string, unacked: string, workers: string, index: string, max: number, member: string, tag: string, timeout: number, entry: string, name: string): Promise<number>;
  celeriacSlotRelease(slots: string, wait: string, index: string, member: string, max: number, name: string): Promise<number>;
  celeriacSlotReap(index: string, workers: string, timeout: number, slotsPrefix: string, waitPrefix: string): Promise<number>;
  celeriacPublishOnce(dedup: string, list: string, binding: string, queues: string, taskId: string, ttl: number, raw: string, member: string, queue: string): Promise<string | null>;
  celeriacDedupRelease(dedup: string, taskId: string): Promise<number>;
  celeriacRedrive(deadLetter: string, queues: string, mode: 'at' | 'oldest', n: number, taskId?: string): Promise<number>;
  celeriacBeatClaim(beat: string, list: string, binding: string, queues: string, entry: string, last: string, due: number, raw: string, member: string, queue: string): Promise<[number, string, number]>;
  celeriacEvents(history: string, channelPrefix: string, historyMax: number, ...triples: string[]): Promise<number>;
}

const NAMES: Record<string, string> = { fetch: 'celeriacFetch', requeue: 'celeriacRequeue', tick: 'celeriacTick', store: 'celeriacStore', 'dead-letter': 'celeriacDeadLetter', defer: 'celeriacDefer',
  rate: 'celeriacRate', 'slot-acquire': 'celeriacSlotAcquire', 'slot-release': 'celeriacSlotRelease', 'slot-reap': 'celeriacSlotReap',
  'publish-once': 'celeriacPublishOnce', 'dedup-release': 'celeriacDedupRelease', redrive: 'celeriacRedrive',
  'beat-claim': 'celeriacBeatClaim', events: 'celeriacEvents' };

let sources: { name: string; numberOfKeys: number; lua: string }[] | null = null;

function load(): { name: string; numberOfKeys: number; lua: string }[] {
  if (sources) return sources;
  const dir = join(__dirname, 'commands');
  sources = readdirSync(dir)
    .filter((f) => f.endsWith('.lua'))
    .map((f) => {
      const m = /^(.+)-(\d+)\.lua$/.exec(f);
      if (!m || !NAMES[m[1]!]) throw new Error(`Unexpected Lua script ${f}`);
      return { name: NAMES[m[1]!]!, numberOfKeys: Number(m[2]), lua: readFileSync(join(dir, f), 'utf8') };
    });
  return sources;
}

/** Defines the scripts on a client once; later calls return the same client typed with them. */
const defined = new WeakSet<Redis>();

export function withScripts(client: Redis): Redis & Scripts {
  if (!defined.has(client)) {
    for (const s of load()) client.defineCommand(s.name, { numberOfKeys: s.numberOfKeys, lua: s.lua });
    defined.add(client);
  }
  return client as Redis & Scripts;
}
