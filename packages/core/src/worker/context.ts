// What a worker and eager mode need from their app, and nothing more: no import of app.ts from worker/.
import type { Broker } from '../broker/broker';
import type { ResultBackend } from '../backend/backend';
import type { Settings } from '../config';
import type { Producer } from '../producer';
import type { TaskRegistry } from '../registry';
import type { Logger } from '../utils/logger';

/** The narrow view of an app a Worker runs on (the app satisfies it; so can anything else that wires these). */
export interface WorkerContext {
  /** The app's name (shown in the worker's banner). */
  readonly name: string;
  readonly settings: Readonly<Settings>;
  readonly registry: TaskRegistry;
  /** Builds and sends follow-ups: links, errbacks, chain steps, retries. */
  readonly producer: Producer;
  readonly broker: Broker;
  readonly backend: ResultBackend;
  readonly logger: Logger;
}
