/** Task states, as Celery names them. PENDING is never stored: it means "no result yet". */
export const States = {
  PENDING: 'PENDING',
  RECEIVED: 'RECEIVED',
  STARTED: 'STARTED',
  RETRY: 'RETRY',
  SUCCESS: 'SUCCESS',
  FAILURE: 'FAILURE',
  REVOKED: 'REVOKED',
} as const;

/** A built-in state, or a custom one set with `ctx.updateState({ state: 'PROGRESS' })`. */
export type TaskState = (typeof States)[keyof typeof States] | (string & {});

/** States after which nothing changes any more. */
export const READY_STATES: ReadonlySet<string> = new Set([States.SUCCESS, States.FAILURE, States.REVOKED]);

export function isReady(state: string): boolean {
  return READY_STATES.has(state);
}
