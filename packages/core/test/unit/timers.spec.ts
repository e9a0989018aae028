import { MAX_TIMER_MS, setLongTimeout } from '../../src/utils/timers';

const DAY = 86_400_000;

describe('setLongTimeout', () => {
  afterEach(() => jest.useRealTimers());

  test('a delay beyond 2^31-1 ms neither fires early nor warns (real timers)', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      let fired = 0;
      const long = setLongTimeout(() => void fired++, 30 * DAY);
      const year2100 = setLongTimeout(() => void fired++, Date.UTC(2100, 0, 1) - Date.now());
      const forever = setLongTimeout(() => void fired++, Infinity);
      await new Promise((r) => setTimeout(r, 200));
      clearTimeout(long);
      clearTimeout(year2100);
      clearTimeout(forever);
      await new Promise((r) => setImmediate(r));
      expect(fired).toBe(0);
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('fires once, after the whole delay, across several steps; clearTimeout stops it between steps', () => {
    jest.useFakeTimers({ now: 0 });
    const at: number[] = [];
    setLongTimeout(() => void at.push(Date.now()), 3 * MAX_TIMER_MS + 10);
    const cleared = setLongTimeout(() => void at.push(-1), 2 * MAX_TIMER_MS + 1);
    jest.advanceTimersByTime(MAX_TIMER_MS + 5);
    expect(at).toEqual([]);
    clearTimeout(cleared);
    jest.advanceTimersByTime(2 * MAX_TIMER_MS);
    expect(at).toEqual([]);
    jest.advanceTimersByTime(10);
    expect(at).toHaveLength(1);
    expect(at[0]).toBeGreaterThanOrEqual(3 * MAX_TIMER_MS + 10);
    expect(at[0]).toBeLessThanOrEqual(3 * MAX_TIMER_MS + 13);
    jest.advanceTimersByTime(10 * MAX_TIMER_MS);
    expect(at).toHaveLength(1);
  });

  test('short and non-positive delays behave as setTimeout', () => {
    jest.useFakeTimers({ now: 0 });
    const at: number[] = [];
    setLongTimeout(() => void at.push(Date.now()), 50);
    setLongTimeout(() => void at.push(Date.now()), -5);
    setLongTimeout(() => void at.push(Date.now()), Number.NaN);
    jest.advanceTimersByTime(100);
    expect(at).toEqual([0, 0, 50]);
  });
});
