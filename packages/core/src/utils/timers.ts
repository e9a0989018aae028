// Timers whose delay comes from data (an eta, a countdown, a setting) and may exceed what Node's timers hold.

/** The longest delay `setTimeout` honours (2^31 − 1 ms, about 24.8 days); Node turns a longer one into 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * `setTimeout` for any delay: a delay beyond MAX_TIMER_MS waits in equal steps, each within the limit, and `fn`
 * runs once after the whole delay. The returned handle is the one timer for every step, so `clearTimeout`,
 * `unref` and `ref` work on it as usual. A delay that is not a number above 0 runs `fn` on the next turn of
 * the timer loop, as `setTimeout` does; `Infinity` never runs it.
 */
export function setLongTimeout(fn: () => void, ms: number): NodeJS.Timeout {
  const delay = ms > 0 ? ms : 0;
  if (delay <= MAX_TIMER_MS) return setTimeout(fn, delay);
  // NOTE: equal steps, so that `refresh()` (which re-arms the same timer with its first delay) fits every step.
  let steps = Number.isFinite(delay) ? Math.ceil(delay / MAX_TIMER_MS) : Infinity;
  const step = Number.isFinite(delay) ? Math.ceil(delay / steps) : MAX_TIMER_MS;
  const timer: NodeJS.Timeout = setTimeout(() => {
    if (--steps > 0) timer.refresh();
    else fn();
  }, step);
  return timer;
}
