/** Delay before retry number `retries + 1`: exponential from `base`, capped, with full jitter when asked. */
export function exponentialBackoff(base: number, retries: number, max: number, jitter: boolean, random = Math.random): number {
  const exp = Math.min(max, base * 2 ** retries);
  return jitter ? Math.round(random() * exp) : exp;
}
