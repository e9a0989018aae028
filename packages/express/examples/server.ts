// server.ts: a signup route that sends the welcome mail in the background and answers 202 at once.
import express from 'express';
import { createApp } from '@celeriac/core';
import { celeriac } from '@celeriac/express';

export function build(brokerUrl = process.env.BROKER_URL ?? 'memory://') {
  const app = createApp('shop', { broker: brokerUrl });
  const sendWelcome = app.task('users.send_welcome', async (email: string) => `welcome mail sent to ${email}`);

  const tasks = celeriac({
    app,
    prefix: '/tasks', // where the router is mounted below
    // Who may see a task's result or error (state and progress are shown to anyone with the id):
    authorize: (req) => req.get('authorization') === 'Bearer staff',
  });

  const server = express();
  server.use(express.json());
  server.use(tasks.middleware); // req.celeriac, res.accepted()
  server.use('/tasks', tasks.router); // GET /tasks/:id (JSON) and GET /tasks/:id/events (Server-Sent Events)

  server.post('/signup', async (req, res) => {
    const result = await sendWelcome.delay(req.body.email);
    res.accepted(result); // 202 { task_id, status_url: '/tasks/<id>' }
  });

  server.use(tasks.errorHandler); // Redis down: 503 + Retry-After; bad arguments: 400
  return { server, app, tasks };
}

if (require.main === module) {
  const { server, app, tasks } = build();
  const worker = app.worker({ concurrency: 5 }); // for development; run `celeriac worker` in production
  void worker.start();
  const http = server.listen(3000);
  process.once('SIGTERM', async () => {
    await tasks.close(); // ends open event streams, then closes the app and its worker
    http.close();
  });
}
