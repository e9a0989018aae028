// The beat store on Redis: each entry's last run in one hash, and a claim that checks the last run, records the
// new one and sends the message in one Lua step (see commands/beat-claim-4.lua).
import type { BeatClaim, BeatClaimResult, BeatStore } from '../broker/broker';
import type { Connection } from './connection';
import { celeriacKeys, celeryKeys } from './keys';
import { withScripts } from './scripts';

export class RedisBeatStore implements BeatStore {
  /**
   * @param atomic whether claims send their message (true on the broker's own Redis); false when the Redis is
   * only the result backend's (the broker is elsewhere, e.g. RabbitMQ) and the winner sends it after the claim.
   */
  constructor(
    readonly conn: Connection,
    readonly atomic: boolean,
    release?: () => Promise<void>,
  ) {
    this.#release = release;
  }

  #release: (() => Promise<void>) | undefined;

  /** Gives back the connection, when the store took one of its own (not the broker's). */
  async close(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    await release?.();
  }

  async lastRuns(): Promise<Map<string, number>> {
    const all = await this.conn.run('HGETALL beat', (c) => c.hgetall(celeriacKeys.beat));
    return new Map(Object.entries(all).map(([k, v]) => [k, Number(v)]));
  }

  async claim(c: BeatClaim): Promise<BeatClaimResult> {
    const m = this.atomic ? c.message : undefined;
    const [won, last, now] = await this.conn.run(`beat claim ${c.entry}`, (r) =>
      withScripts(r).celeriacBeatClaim(
        celeriacKeys.beat,
        m ? celeryKeys.queue(m.queue, m.priority) : celeriacKeys.beat,
        m ? celeryKeys.binding(m.queue) : celeriacKeys.beat,
        celeriacKeys.queues,
        c.entry,
        c.last === null ? '' : String(c.last),
        c.due,
        m ? m.raw : '',
        m ? celeryKeys.bindingMember(m.queue) : '',
        m ? m.queue : '',
      ),
    );
    return { sent: won === 1, last: Number(last), now: Number(now) };
  }
}
