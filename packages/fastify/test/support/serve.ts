// The shared HTTP suite's server, built with the plugin as a user would, listening on a real socket.
import Fastify from 'fastify';
import celeriac from '@celeriac/fastify';
import type { Serve } from '../../../core/test/support/http-suite';

export const serveFastify: Serve = async (app, { authorize, heartbeat, retry, send }) => {
  const fastify = Fastify();
  await fastify.register(celeriac, { app, routes: { prefix: '/tasks', authorize, heartbeat, retry } });
  fastify.post<{ Params: { name: string } }>('/send/:name', async (req, reply) => reply.accepted(await send(req.params.name, req.body)));
  await fastify.listen({ host: '127.0.0.1', port: 0 });
  const { port } = fastify.server.address() as { port: number };
  return { base: `http://127.0.0.1:${port}`, close: () => fastify.close() };
};
