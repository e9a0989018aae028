// The mail task on a plain celeriac app: used by the Fastify and Express entry points and by the worker process.
// (The Nest entry point declares the same task, by name and options, as an @Task() method.)
import { createApp, every, type Celeriac, type Task, type TaskContext } from '@celeriac/core';
import { CLEANUP_ENTRY, CLEANUP_TASK, SHOP_QUEUE, cleanupUnactivated } from './cleanup';
import type { Shop } from './shop';
import { MAIL_TASK, MAIL_TASK_OPTIONS, sendRegisterActiveMail, type MailDeps } from './mail';

/** The app: `memory://` unless CELERIAC_BROKER_URL (and any other CELERIAC_* setting) says otherwise. */
export function createShopApp(): Celeriac {
  const app = createApp('demo-shop');
  app.configFromEnv('CELERIAC');
  return app;
}

export function defineMailTask(app: Celeriac, deps: MailDeps): Task<[email: string, username: string, token: string], string> {
  return app.task(MAIL_TASK, (ctx: TaskContext, email: string, username: string, token: string) => sendRegisterActiveMail(ctx, deps, email, username, token), {
    ...MAIL_TASK_OPTIONS,
    bind: true,
  });
}

/** The periodic clean-up, on the web process' queue, and its beat entry (Fastify and Express; Nest uses @Periodic). */
export function defineCleanupTask(app: Celeriac, shop: Shop): Task<[], { removed: string[] }> {
  const task = app.task(CLEANUP_TASK, () => cleanupUnactivated(shop), { queue: SHOP_QUEUE });
  app.addPeriodicTask(CLEANUP_ENTRY, { task: CLEANUP_TASK, schedule: every(shop.settings.cleanupEveryMs) });
  return task;
}
