// Counting chord parts on a real Redis when a header task ran twice (its worker died before acking it): the
// duplicate part and the last new part both see the count reach the size, yet only one of them completes the
// chord, so the body is sent once (this race once sent a body twice in the chaos suite).
import { consoleLogger, createApp } from '../../src';
import { groupsOf, type ChordPart, type GroupBackend } from '../../src/backend/groups';
import { ownRedis } from '../support/own-redis';

const own = ownRedis();

const part = (i: number): ChordPart => ({ taskId: `t${i}`, state: 'SUCCESS', result: i * 10, index: i });

it('a duplicate part counted beside the last part: exactly one caller gets the parts, once, in order', async () => {
  const app = createApp('chord-count', { broker: await own.freshUrl(), logger: consoleLogger('silent') });
  try {
    await roundsOn(groupsOf(app.backend)!);
  } finally {
    await app.close();
  }
});

async function roundsOn(groups: GroupBackend): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const gid = `g-${round}`;
    await groups.setChordSize(gid, 3, 60_000);
    expect(await groups.chordPartReturn(gid, part(0), 60_000)).toBeNull();
    expect(await groups.chordPartReturn(gid, part(1), 60_000)).toBeNull();
    // NOTE: not awaited in between: both counting MULTIs reach Redis before either caller reads and deletes.
    const [last, dup] = await Promise.all([groups.chordPartReturn(gid, part(2), 60_000), groups.chordPartReturn(gid, part(0), 60_000)]);
    const completed = [last, dup].filter((r): r is ChordPart[] => Array.isArray(r));
    expect(completed).toHaveLength(1);
    expect(completed[0]!.map((p) => p.result)).toEqual([0, 10, 20]);
    expect(await own.admin.keys(`celery-taskset-meta-${gid}*`)).toEqual([]);
  }
}
