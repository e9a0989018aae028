// The periodic clean-up: registrations not activated within DEMO_UNACTIVATED_TTL are removed (their username and
// e-mail become free again, their activation link says it expired). Beat sends it every DEMO_CLEANUP_EVERY; it runs
// in the web process, which holds the users (in memory here; a real shop would run it anywhere against its
// database), on a queue of its own that the mail worker does not consume.
import { MAIL_QUEUE } from './mail';
import type { Shop } from './shop';

export const CLEANUP_TASK = 'shop.cleanup_unactivated';
/** The web process' own queue (it holds the users). */
export const SHOP_QUEUE = 'shop-web';
/** The beat entry's name. */
export const CLEANUP_ENTRY = 'cleanup-unactivated';

/** What the web process' worker consumes: its own queue, and on memory:// (no worker process) the mail queue too. */
export function webQueues(shop: Shop): string[] {
  return shop.settings.embeddedWorker ? [SHOP_QUEUE, MAIL_QUEUE] : [SHOP_QUEUE];
}

export function cleanupUnactivated(shop: Shop): { removed: string[] } {
  return { removed: shop.users.removeUnactivated(shop.settings.unactivatedTtlMs) };
}
