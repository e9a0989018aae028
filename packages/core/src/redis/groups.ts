// Groups and chords on Redis, with Celery's keys and commands (shared/celery-wire.md §10), so that a Python
// worker and a celeriac worker count the same chord.
import type { ChordPart } from '../backend/groups';
import { decodeChordPart, decodeSavedGroup, encodeChordPart, encodeSavedGroup } from '../backend/groups';
import type { ResultMeta } from '../protocol/result-meta';
import type { Connection } from './connection';
import { celeryKeys } from './keys';

/** Keys per MGET: a 10,000-member group is read in a few commands, all sent in one pipeline. */
const MGET_CHUNK = 1_000;
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

export async function getMany(conn: Connection, ids: string[]): Promise<(string | null)[]> {
  if (!ids.length) return [];
  return conn.run(`MGET ${ids.length} results`, async (c) => {
    const p = c.pipeline();
    for (let i = 0; i < ids.length; i += MGET_CHUNK) p.mget(ids.slice(i, i + MGET_CHUNK).map((id) => celeryKeys.taskMeta(id)));
    const replies = (await p.exec()) ?? [];
    const out: (string | null)[] = [];
    for (const [err, values] of replies) {
      if (err) throw err;
      out.push(...(values as (string | null)[]));
    }
    return out;
  });
}

export function parseMetas(raw: (string | null)[]): (ResultMeta | null)[] {
  return raw.map((v) => {
    if (v === null) return null;
    try {
      return JSON.parse(v) as ResultMeta;
    } catch {
      return null;
    }
  });
}

export async function saveGroup(conn: Connection, groupId: string, ids: string[], expiresMs: number): Promise<void> {
  await conn.run('save group', (c) => c.set(celeryKeys.taskset(groupId), encodeSavedGroup(groupId, ids), 'PX', expiresMs));
}

export async function restoreGroup(conn: Connection, groupId: string): Promise<string[] | null> {
  const raw = await conn.run('restore group', (c) => c.get(celeryKeys.taskset(groupId)));
  return raw === null ? null : decodeSavedGroup(raw);
}

export async function forgetGroup(conn: Connection, groupId: string): Promise<void> {
  await conn.run('forget group', (c) => c.del(celeryKeys.taskset(groupId)));
}

export async function setChordSize(conn: Connection, groupId: string, size: number, expiresMs: number): Promise<void> {
  await conn.run('set chord size', (c) => c.set(celeryKeys.taskset(groupId, '.s'), String(size), 'EX', seconds(expiresMs)));
}

/**
 * Celery's `on_chord_part_return`: in one MULTI, ZADD the part to `.j` (score = group_index), ZCOUNT, GET `.t` and
 * `.s`, EXPIRE all three. Whoever sees the count reach the size reads and deletes the counters in a second MULTI;
 * only the caller whose read finds every part completes the chord.
 * NOTE: unlike Celery 5.2, the keys are deleted whatever the parts hold (Celery leaves them when a header task
 * failed). A part that finds no size is kept, as Celery keeps it: a Python client stores the size only just
 * before it sends its last header task.
 */
export async function chordPartReturn(conn: Connection, groupId: string, part: ChordPart, expiresMs: number): Promise<ChordPart[] | null | 'unknown'> {
  const j = celeryKeys.taskset(groupId, '.j');
  const t = celeryKeys.taskset(groupId, '.t');
  const s = celeryKeys.taskset(groupId, '.s');
  const ex = seconds(expiresMs);
  const replies = await conn.run('chord part', (c) =>
    c
      .multi()
      .zadd(j, part.index === null ? '+inf' : part.index, encodeChordPart(part))
      .zcount(j, '-inf', '+inf')
      .get(t)
      .get(s)
      .expire(j, ex)
      .expire(t, ex)
      .expire(s, ex)
      .exec(),
  );
  const [, [e1, count], [e2, added], [e3, size]] = replies ?? [];
  const err = e1 ?? e2 ?? e3;
  if (err) throw err;
  if (size === null || size === undefined) return 'unknown';
  if (Number(count) !== Number(size) + Number(added ?? 0)) return null;
  const done = await conn.run('complete chord', (c) => c.multi().zrange(j, 0, -1, 'WITHSCORES').del(j, t, s).exec());
  const [zerr, flat] = done?.[0] ?? [];
  if (zerr) throw zerr;
  const members = flat as string[];
  // NOTE: a header task run twice (its worker died before acking it) counts again with the same member, so two
  // callers can both see the count reach the size; the one whose read-and-delete comes second finds the parts
  // gone (or only a part recreated since) and must not send the body again. Celery's Redis backend has this race.
  if (members.length / 2 < Number(size)) return null;
  const out: ChordPart[] = [];
  for (let i = 0; i + 1 < members.length; i += 2) {
    const score = members[i + 1]!;
    const p = decodeChordPart(members[i]!, score === 'inf' ? null : Number(score));
    if (p) out.push(p);
  }
  return out;
}

export async function forgetChord(conn: Connection, groupId: string): Promise<void> {
  await conn.run('forget chord', (c) => c.del(celeryKeys.taskset(groupId, '.j'), celeryKeys.taskset(groupId, '.t'), celeryKeys.taskset(groupId, '.s')));
}
