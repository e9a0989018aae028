// Type tests for the plugin's declaration merging and options (checked by `npm run typecheck`, never run).
import Fastify from 'fastify';
import { createApp, type Celeriac } from '@celeriac/core';
import celeriac from '@celeriac/fastify';

export async function typeChecks(): Promise<void> {
  const fastify = Fastify();
  await fastify.register(celeriac, { app: createApp('t'), closeApp: true, routes: { prefix: '/jobs', authorize: (req, id) => req.headers.host === id } });
  await fastify.register(celeriac, { broker: 'memory://', namespace: 'SHOP', worker: { concurrency: 2 } });
  const app: Celeriac = fastify.celeriac;
  fastify.get('/x', async (_req, reply) => reply.accepted(await app.sendTask('a')));
  // @ts-expect-error a given app and a config at once
  await fastify.register(celeriac, { app: createApp('t'), brokerUrl: 'memory://' });
  fastify.get('/y', async (_req, reply) => {
    // @ts-expect-error accepted() needs a sent task
    return reply.accepted('not a result');
  });
  // @ts-expect-error routes.authorize gets (req, taskId)
  await fastify.register(celeriac, { app, routes: { authorize: 42 } });
}
