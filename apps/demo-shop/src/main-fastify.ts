// The demo shop on Fastify: `npm run start:fastify`. @celeriac/fastify decorates `reply.accepted()`, serves
// GET /tasks/:id (JSON) and /tasks/:id/events (SSE), and on memory:// runs the worker inside this server.
import Fastify from 'fastify';
import { errorReply } from '@celeriac/core';
import { celeriac } from '@celeriac/fastify';
import { BODY_LIMIT, bodyErrorAnswer, Shop, type Answer } from './shop';
import { webQueues } from './cleanup';
import { createShopApp, defineCleanupTask, defineMailTask } from './tasks';
import { runMain } from './run';

export async function main() {
  const shop = await Shop.start('Fastify');
  const app = createShopApp();
  const sendRegisterActiveMail = defineMailTask(app, shop.mailDeps);
  defineCleanupTask(app, shop);
  // Beat sends the clean-up when due (any number of web replicas: each run is sent once).
  const beat = app.beat();

  const fastify = Fastify({ bodyLimit: BODY_LIMIT, logger: { level: process.env.LOG_LEVEL ?? 'warn' } });
  await fastify.register(celeriac, {
    app,
    closeApp: true,
    errorHandler: false, // ours below answers body errors, then celeriac's as the plugin would (core's errorReply)
    routes: { prefix: '/tasks' },
    // The web process runs its own queue (the clean-up); on memory:// the mail task too.
    worker: { queues: webQueues(shop) },
  });
  const send = (reply: import('fastify').FastifyReply, a: Answer) => reply.code(a.statusCode).type(a.contentType).send(a.body);

  fastify.get('/', (_req, reply) => send(reply, shop.page()));
  fastify.post('/register', async (req, reply) => send(reply, await shop.register(req.body, (...args) => sendRegisterActiveMail.delay(...args))));
  fastify.get<{ Params: { token: string } }>('/activate/:token', (req, reply) => send(reply, shop.activate(req.params.token)));
  fastify.get('/outbox', (_req, reply) => send(reply, shop.outboxPage()));
  fastify.get('/outbox.json', (_req, reply) => send(reply, shop.outboxJson()));
  // Malformed JSON (400) and bodies over 16 KiB (413) answer `{ message }`; Redis down: 503 with Retry-After.
  fastify.setErrorHandler((err, _req, reply) => {
    const a = bodyErrorAnswer(err);
    if (a) return send(reply, a);
    const c = errorReply(err);
    if (c) return reply.code(c.statusCode).headers(c.headers).send(c.body);
    throw err; // Fastify's default answer
  });
  fastify.addHook('onClose', async () => {
    await beat.close();
    await shop.close();
  });

  await fastify.listen({ port: shop.settings.port, host: shop.settings.host });
  await beat.start();
  const port = (fastify.server.address() as { port: number }).port;
  console.log(shop.banner(shop.listening(port)));
  return () => fastify.close();
}

if (require.main === module) runMain(main);
