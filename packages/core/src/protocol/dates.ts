// Celery 5.2 reads the fraction digits of an ISO time as a count of microseconds, so three digits
// ("…:49.265Z") would mean 265 µs: always write six (see shared/celery-wire.md §6).

/** `2026-11-21T19:10:08.876000+00:00`: what a Python client writes for eta and expires. */
export function toCeleryIso(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000+00:00`;
}

/** `2026-11-21T19:10:09.814000`: naive UTC, as Celery stores `date_done`. */
let lastMs = NaN;
let lastNaive = '';

export function toNaiveUtcIso(ms: number): string {
  // NOTE: called for every result stored; many land in the same millisecond.
  if (ms !== lastMs) {
    lastMs = ms;
    lastNaive = `${new Date(ms).toISOString().slice(0, 23)}000`;
  }
  return lastNaive;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i; // "+02" alone too, as Celery's parse_iso8601

/** Parses an ISO 8601 time as Celery writes it; a time without offset is taken as UTC. Null when malformed. */
export function parseIso(value: string): number | null {
  const m = ISO.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s = '0', frac = '', tz] = m;
  const ms = frac ? Math.round(Number(`0.${frac}`) * 1000) : 0;
  // Date.UTC rolls month 13 or 30 February over into the next month: such a time is malformed, not a date.
  const c = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  if (c.getUTCFullYear() !== Number(y) || c.getUTCMonth() !== Number(mo) - 1 || c.getUTCDate() !== Number(d) || c.getUTCHours() !== Number(h) || c.getUTCMinutes() !== Number(mi) || c.getUTCSeconds() !== Number(s)) {
    return null;
  }
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (tz && tz.toUpperCase() !== 'Z') {
    const sign = tz.startsWith('-') ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return Number.isFinite(t) ? t : null;
}
