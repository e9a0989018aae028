// `npm run worker`: the demo's worker in its own process, for a web process on Redis (or RabbitMQ):
//   CELERIAC_BROKER_URL=redis://127.0.0.1:6379/0 npm run worker
// It sends the activation mails to SMTP_URL, or to the embedded SMTP server of the web process
// (127.0.0.1:DEMO_SMTP_PORT, default 2525), whose /outbox then shows them.
import { createMailer, mailUrl, MAIL_QUEUE } from './mail';
import { DemoConfigError, readSettings } from './settings';
import { createShopApp, defineMailTask } from './tasks';
import { runMain } from './run';

export async function main() {
  const settings = readSettings();
  if (settings.embeddedWorker) {
    throw new DemoConfigError('the worker needs a broker other processes reach: set CELERIAC_BROKER_URL=redis://127.0.0.1:6379/0 here and in the web process (on memory:// the web process runs the tasks itself)');
  }
  const mailer = createMailer(mailUrl(settings));
  const publicUrl = settings.publicUrl ?? `http://localhost:${settings.port}`;
  const app = createShopApp();
  defineMailTask(app, { mailer, publicUrl: () => publicUrl, failFirst: settings.failFirst });
  const worker = app.worker({ queues: [MAIL_QUEUE] });
  await worker.start();
  console.log(worker.banner());
  console.log(`worker ready: sends mail to ${mailer.target}, activation links to ${publicUrl}`);
  return async () => {
    await worker.close();
    await app.close();
    mailer.close();
  };
}

if (require.main === module) runMain(main);
