// The demo shop on Express: `npm run start:express`. @celeriac/express gives `res.accepted()`, a router with
// GET /tasks/:id (JSON) and /tasks/:id/events (SSE), and an error handler; on memory:// a worker runs in this process.
import express, { type ErrorRequestHandler, type Response } from 'express';
import { celeriac } from '@celeriac/express';
import { BODY_LIMIT, bodyErrorAnswer, Shop, type Answer } from './shop';
import { webQueues } from './cleanup';
import { createShopApp, defineCleanupTask, defineMailTask } from './tasks';
import { runMain } from './run';

export async function main() {
  const shop = await Shop.start('Express');
  const app = createShopApp();
  const sendRegisterActiveMail = defineMailTask(app, shop.mailDeps);
  defineCleanupTask(app, shop);
  // The web process runs its own queue (the clean-up); on memory:// the mail task too. Beat sends the clean-up.
  const worker = app.worker({ queues: webQueues(shop) });
  await worker.start();
  const beat = app.beat();
  await beat.start();

  const tasks = celeriac({ app, prefix: '/tasks' });
  const server = express();
  const send = (res: Response, a: Answer) => res.status(a.statusCode).type(a.contentType).send(a.body);
  server.use(tasks.middleware);
  server.use(express.json({ limit: BODY_LIMIT }));
  server.use('/tasks', tasks.router);
  server.get('/', (_req, res) => send(res, shop.page()));
  server.post('/register', async (req, res) => send(res, await shop.register(req.body, (...args) => sendRegisterActiveMail.delay(...args))));
  server.get('/activate/:token', (req, res) => send(res, shop.activate(req.params.token)));
  server.get('/outbox', (_req, res) => send(res, shop.outboxPage()));
  server.get('/outbox.json', (_req, res) => send(res, shop.outboxJson()));
  // Malformed JSON (400) and bodies over 16 KiB (413) answer `{ message }`; then celeriac's errors (503, 400, …).
  const bodyErrors: ErrorRequestHandler = (err, _req, res, next) => {
    const a = bodyErrorAnswer(err);
    if (a) send(res, a);
    else next(err);
  };
  server.use(bodyErrors, tasks.errorHandler);

  const http = server.listen(shop.settings.port, shop.settings.host);
  await new Promise<void>((resolve, reject) => http.once('listening', resolve).once('error', reject));
  const port = (http.address() as { port: number }).port;
  console.log(shop.banner(shop.listening(port)));
  return async () => {
    await beat.close();
    await tasks.close(); // ends open event streams, closes the app and its worker (warm)
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await shop.close();
  };
}

if (require.main === module) runMain(main);
