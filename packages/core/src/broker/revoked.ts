import type { RevokedEntry } from './broker';

// The revoked task ids one process remembers (a worker, the memory broker): each until its expiry, and at
// most REVOKES_MAX of them, the oldest dropped first, as Celery's worker keeps its revoked set.

/** Most revoked ids kept, by a worker and by a broker's stored set (Celery's REVOKES_MAX). */
export const REVOKES_MAX = 50_000;

export class RevokedSet {
  /** id → expiry (epoch ms), in the order they were revoked (a Map keeps insertion order). */
  readonly #until = new Map<string, number>();

  constructor(readonly max: number = REVOKES_MAX) {}

  get size(): number {
    return this.#until.size;
  }

  /** Remembers `id` as revoked until `until`; revoking it again makes it the newest. */
  add(id: string, until: number): void {
    this.#until.delete(id);
    this.#until.set(id, until);
    if (this.#until.size > this.max) {
      for (const oldest of this.#until.keys()) {
        this.#until.delete(oldest);
        if (this.#until.size <= this.max) break;
      }
    }
  }

  has(id: string, now = Date.now()): boolean {
    const until = this.#until.get(id);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#until.delete(id);
    return false;
  }

  /** The entries not yet expired, oldest first (expired ones are forgotten on the way). */
  entries(now = Date.now()): RevokedEntry[] {
    const out: RevokedEntry[] = [];
    for (const [id, until] of this.#until) {
      if (until > now) out.push({ id, until });
      else this.#until.delete(id);
    }
    return out;
  }
}
