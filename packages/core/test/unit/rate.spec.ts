import { createApp } from '../../src';
import { LocalBucket, rateInterval } from '../../src/limits/rate';
import { settingsFromEnv } from '../../src/config';

describe('rate limits as Celery writes them', () => {
  it.each([
    ['10/s', 100],
    ['100/m', 600],
    ['1000/h', 3_600],
    ['4', 250],
    [' 2 / s ', 500],
    [0.5, 2_000],
  ] as const)('%p is one task every %p ms', (limit, ms) => {
    expect(rateInterval('rateLimit', limit)).toBe(ms);
  });

  it.each(['10/d', '0/s', '-1/s', 'fast', '', 0, -3, Number.NaN, null])('%p is refused with the accepted forms', (limit) => {
    expect(() => rateInterval('rateLimit', limit)).toThrow(/Expected `rateLimit` to be a rate such as '10\/s', '100\/m' or '1000\/h'/);
  });

  it('a bucket hands out each slot once, evenly spaced, never in the past', () => {
    const b = new LocalBucket(100);
    expect([b.reserve(1_000), b.reserve(1_000), b.reserve(1_050)]).toEqual([1_000, 1_100, 1_200]);
    expect(b.reserve(5_000)).toBe(5_000);
  });

  it('taskAnnotations are validated (by name or "*") and read from the environment as JSON', () => {
    expect(() => createApp('a', { taskAnnotations: { '*': { rateLimit: '1/x' } } })).toThrow(/taskAnnotations\["\*"\]\.rateLimit/);
    expect(() => createApp('a', { taskAnnotations: { t: 'fast' as never } })).toThrow(/Expected `taskAnnotations\["t"\]` to be an object/);
    expect(settingsFromEnv('C', { C_TASK_ANNOTATIONS: '{"tasks.add": {"rateLimit": "10/s"}}' })).toEqual({ taskAnnotations: { 'tasks.add': { rateLimit: '10/s' } } });
    expect(() => settingsFromEnv('C', { C_TASK_ANNOTATIONS: 'nope' })).toThrow(/C_TASK_ANNOTATIONS must be JSON such as/);
  });

  it('dedupKey and dedupTtl are checked at send', async () => {
    const app = createApp('a');
    app.task('t', () => 1);
    await expect(app.sendTask('t', [], { dedupKey: '' })).rejects.toThrow(/Expected `dedupKey` to be a non-empty string/);
    await expect(app.sendTask('t', [], { dedupKey: 'k', dedupTtl: 0 })).rejects.toThrow(/Expected `dedupTtl` to be an integer >= 1/);
    await app.close();
  });
});
