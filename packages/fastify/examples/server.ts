// server.ts: a signup route that sends the welcome mail in the background and answers 202 at once.
import Fastify from 'fastify';
import { createApp } from '@celeriac/core';
import celeriac from '@celeriac/fastify';

export async function build(brokerUrl = process.env.BROKER_URL ?? 'memory://') {
  const app = createApp('shop', { broker: brokerUrl });
  const sendWelcome = app.task('users.send_welcome', async (email: string) => `welcome mail sent to ${email}`);

  const server = Fastify();
  await server.register(celeriac, {
    app,
    closeApp: true, // server.close() also closes the app
    worker: { concurrency: 5 }, // an embedded worker, for development
    routes: {
      prefix: '/tasks', // GET /tasks/:id (JSON) and GET /tasks/:id/events (Server-Sent Events)
      // Who may see a task's result or error (state and progress are shown to anyone with the id):
      authorize: (req) => req.headers.authorization === 'Bearer staff',
    },
  });

  server.post<{ Body: { email: string } }>('/signup', async (req, reply) => {
    const result = await sendWelcome.delay(req.body.email);
    return reply.accepted(result); // 202 { task_id, status_url: '/tasks/<id>' }
  });
  return server;
}

if (require.main === module) void build().then((server) => server.listen({ port: 3000 }));
