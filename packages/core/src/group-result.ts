// GroupResult: the results of a group's members, read in batches (one MGET per 1,000 on Redis) and waited for
// in order, listening for the first unfinished one only (no polling loop, no 10,000 subscriptions at once).
import { getMany, groupsOf } from './backend/groups';
import { TimeoutError } from './errors';
import type { ResultMeta } from './protocol/result-meta';
import { AsyncResult, errorFromMeta, type GetOptions, type ResultHost } from './result';
import { States, isReady } from './states';

/** States read per batch while waiting. */
const BATCH = 1_000;

export class GroupResult<R = unknown> {
  /** The handle this group was sent after, if any. */
  parent: AsyncResult | GroupResult | null = null;

  constructor(
    /** The group id (`headers.group` of every member, `group_id` in their results). */
    readonly id: string,
    /** The members' handles, in the order they were given. */
    readonly results: readonly AsyncResult<R>[],
    readonly host: ResultHost,
  ) {}

  get size(): number {
    return this.results.length;
  }

  /** Every member's stored state (null while PENDING), in order, read in batches. */
  async metas(): Promise<(ResultMeta | null)[]> {
    return getMany(this.host.backend, this.results.map((r) => r.id));
  }

  /** How many members succeeded. */
  async completedCount(): Promise<number> {
    return (await this.metas()).filter((m) => m?.status === States.SUCCESS).length;
  }

  /** Whether every member is ready (succeeded, failed or revoked). */
  async ready(): Promise<boolean> {
    return (await this.metas()).every((m) => m !== null && isReady(m.status));
  }

  /** Whether every member succeeded. */
  async successful(): Promise<boolean> {
    return (await this.metas()).every((m) => m?.status === States.SUCCESS);
  }

  /** Whether any member failed. */
  async failed(): Promise<boolean> {
    return (await this.metas()).some((m) => m?.status === States.FAILURE);
  }

  /** Whether any member is not ready yet. */
  async waiting(): Promise<boolean> {
    return !(await this.ready());
  }

  /**
   * The members' return values, in order. Rejects with the first failed member's error (in order) unless
   * `propagate: false` (then its error info takes its place), or with a TimeoutError after `timeout` ms.
   */
  async get(options: GetOptions = {}): Promise<R[]> {
    const { timeout, propagate = true } = options;
    const deadline = timeout === undefined ? null : Date.now() + timeout;
    const values: R[] = [];
    let i = 0;
    while (i < this.results.length) {
      const batch = this.results.slice(i, i + BATCH);
      const found = await getMany(
        this.host.backend,
        batch.map((r) => r.id),
      );
      let k = 0;
      for (; k < found.length; k++) {
        const meta = found[k];
        if (!meta || !isReady(meta.status)) break;
        if (meta.status !== States.SUCCESS && propagate) throw errorFromMeta(meta);
        values.push(meta.result as R);
      }
      i += k;
      if (k < found.length) {
        // NOTE: wait for the first unfinished member only, then read the rest again in batches: most are done by then.
        const left = deadline === null ? undefined : deadline - Date.now();
        if (left !== undefined && left <= 0) throw new TimeoutError(this.id, timeout!, 'group');
        try {
          values.push(await this.results[i]!.get({ timeout: left, propagate }));
        } catch (err) {
          if (err instanceof TimeoutError) throw new TimeoutError(this.id, timeout!, 'group');
          throw err;
        }
        i++;
      }
    }
    return values;
  }

  /** Revokes every member, on every worker. */
  revoke(options: { terminate?: boolean } = {}): Promise<void> {
    if (!this.results.length) return Promise.resolve();
    return this.host.revoke(
      this.results.map((r) => r.id),
      options,
    );
  }

  /** Deletes the members' stored results (and the saved group). */
  async forget(): Promise<void> {
    await Promise.all(this.results.map((r) => r.forget()));
    await groupsOf(this.host.backend)?.forgetGroup(this.id);
  }

  /** Stores the member ids (Celery's `GroupResult.save()`), so `app.groupResult(id)` finds them later, also from Python. */
  async save(expiresMs?: number): Promise<void> {
    const groups = groupsOf(this.host.backend);
    if (!groups) throw new Error(`The result backend ${this.host.backend.url} cannot save groups`);
    await groups.saveGroup(
      this.id,
      this.results.map((r) => r.id),
      expiresMs ?? 86_400_000,
    );
  }

  toJSON(): { group_id: string; results: string[] } {
    return { group_id: this.id, results: this.results.map((r) => r.id) };
  }
}
