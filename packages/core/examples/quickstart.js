// The quickstart: `node packages/core/examples/quickstart.js` after `npm run build` (the demo shop is `npm start`).
// Registers a user, sends the activation e-mail in the background and follows the task's progress,
// on the embedded memory:// broker (nothing to install). Set CELERIAC_BROKER_URL=redis://127.0.0.1:6379/0
// to run the same on Redis.
const { createApp, consoleLogger } = require('@celeriac/core');

const app = createApp('shop', { logger: consoleLogger('info', 'shop') });
app.configFromEnv('CELERIAC');

const sendActivationMail = app.task(
  'users.send_register_active_mail',
  async (ctx, to, username, token) => {
    await ctx.updateState({ state: 'PROGRESS', meta: { step: 'rendering' } });
    await new Promise((r) => setTimeout(r, 200));
    await ctx.updateState({ state: 'PROGRESS', meta: { step: 'sending' } });
    await new Promise((r) => setTimeout(r, 200));
    return `activation mail for ${username} sent to ${to} (token ${token.slice(0, 6)}…)`;
  },
  { bind: true, maxRetries: 3, queue: 'mail' },
);

async function main() {
  const worker = app.worker({ queues: ['mail'], concurrency: 4 });
  await worker.start();

  const result = await sendActivationMail.delay('ann@example.com', 'ann', 'tok-1234567890');
  console.log(`registered ann; task_id ${result.id}`);
  // Follow it as a browser's status page would: the current state first, then each change, until it is ready.
  for await (const status of result.watch({ reveal: true })) console.log('  status', JSON.stringify(status));

  await worker.close();
  await app.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
