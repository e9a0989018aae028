// One log line when the broker goes away and one when it is back, instead of a line per failed command.
import { isTransient } from '../errors';
import type { Logger } from '../utils/logger';

export class OutageLog {
  #since: number | null = null;
  #hidden = 0;

  constructor(
    readonly logger: Logger,
    readonly where: () => string,
  ) {}

  get down(): boolean {
    return this.#since !== null;
  }

  /** Logs the first connection error of an outage (the rest at debug); false for any other error. */
  report(err: Error): boolean {
    if (!isTransient(err)) return false;
    if (this.#since === null) {
      this.#since = Date.now();
      this.#hidden = 0;
      this.logger.error(`lost the broker at ${this.where()}: ${err.message}. Retrying until it is back (errors meanwhile are logged at debug).`);
    } else {
      this.#hidden++;
      this.logger.debug(`broker still away: ${err.message}`);
    }
    return true;
  }

  /** A broker call succeeded: if an outage was logged, logs its end once. */
  recovered(): void {
    if (this.#since === null) return;
    const secs = ((Date.now() - this.#since) / 1000).toFixed(1);
    this.#since = null;
    this.logger.info(`reconnected to the broker at ${this.where()} after ${secs}s (${this.#hidden} more error(s) while it was away)`);
  }
}
