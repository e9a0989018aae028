// Task records folded from events: events of one task come from several processes and may arrive out of order.
import { foldTaskEvents, matchesTask, type CeleryEvent } from '../../src';

const ev = (type: string, t: number, fields: Record<string, unknown> = {}): CeleryEvent => ({ type, hostname: type === 'task-sent' ? 'gen1@h' : 'w@h', timestamp: t, uuid: 'id-1', ...fields });

describe('foldTaskEvents', () => {
  it('builds one record per task with its timeline, result and worker', () => {
    const [r] = foldTaskEvents([
      ev('task-sent', 1, { name: 'shop.order', args: "('ann', 3)", kwargs: '{}', queue: 'celery' }),
      ev('task-received', 1.1, { name: 'shop.order', args: "('ann', 3)", kwargs: "{'vip': True}", retries: 0, root_id: 'id-1', parent_id: null }),
      ev('task-started', 1.2),
      ev('task-succeeded', 1.5, { result: "'ok'", runtime: 0.3 }),
    ]);
    expect(r).toMatchObject({ id: 'id-1', name: 'shop.order', state: 'SUCCESS', worker: 'w@h', queue: 'celery', result: "'ok'", runtime: 0.3, firstSeen: 1000, lastSeen: 1500, rootId: 'id-1' });
    expect(r!.timeline.map((t) => t.type)).toEqual(['task-sent', 'task-received', 'task-started', 'task-succeeded']);
  });

  it('a task-sent that arrives late does not take the state back to PENDING', () => {
    const [r] = foldTaskEvents([ev('task-received', 2, { name: 'a' }), ev('task-started', 2.1), ev('task-sent', 2.2, { name: 'a' })]);
    expect(r!.state).toBe('STARTED');
    expect(r!.worker).toBe('w@h');
  });

  it('keeps the failure and the retries; ignores events that are not about tasks', () => {
    const records = foldTaskEvents([
      ev('worker-heartbeat', 1),
      ev('task-received', 1, { name: 'a', retries: 0 }),
      ev('task-retried', 1.1, { exception: "Error('503')", traceback: 'Error: 503' }),
      ev('task-received', 2, { retries: 1 }),
      ev('task-failed', 2.1, { exception: "TypeError('bad')", traceback: 'TypeError: bad' }),
    ]);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ state: 'FAILURE', retries: 1, exception: "TypeError('bad')", traceback: 'TypeError: bad' });
  });
});

describe('matchesTask', () => {
  const [r] = foldTaskEvents([ev('task-received', 10, { name: 'shop.order', args: "('Ann@Example.com', 3)", kwargs: "{'coupon': 'XMAS'}" })]);
  it('filters by state, name, worker and time, and searches the id and the argument reprs (any case)', () => {
    expect(matchesTask(r!, { search: 'ann@example' })).toBe(true);
    expect(matchesTask(r!, { search: 'xmas' })).toBe(true);
    expect(matchesTask(r!, { search: 'id-1' })).toBe(true);
    expect(matchesTask(r!, { search: 'bob' })).toBe(false);
    expect(matchesTask(r!, { state: 'RECEIVED', name: 'shop.order', worker: 'w@h' })).toBe(true);
    expect(matchesTask(r!, { state: 'SUCCESS' })).toBe(false);
    expect(matchesTask(r!, { since: 10_001 })).toBe(false);
    expect(matchesTask(r!, { until: 9_999 })).toBe(false);
  });
});

it('finds a value past the repr (1,024 characters) in the call the history kept', () => {
  const long = 'x'.repeat(2_000);
  const [r] = foldTaskEvents([ev('task-received', 1, { name: 'a', args: `('${long.slice(0, 1_000)}...`, kwargs: '{}', celeriac_call: { args: [long, 'needle-at-the-end'], kwargs: {} } })]);
  expect(matchesTask(r!, { search: 'NEEDLE-at-the-end' })).toBe(true);
  expect(matchesTask(r!, { search: 'hay' })).toBe(false);
});
