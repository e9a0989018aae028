// Type tests for the declaration merging and options (checked by `npm run typecheck`, never run).
import express from 'express';
import { createApp, type Celeriac } from '@celeriac/core';
import { celeriac } from '@celeriac/express';

export function typeChecks(): void {
  const tasks = celeriac({ app: createApp('t'), prefix: '/jobs', authorize: async (req, id) => req.get('x-owner') === id });
  const server = express();
  server.use(tasks.middleware, tasks.errorHandler);
  server.post('/x', async (req, res) => {
    const app: Celeriac = req.celeriac;
    res.accepted(await app.sendTask('a')).end();
    // @ts-expect-error accepted() needs a sent task
    res.accepted('not a result');
  });
  // @ts-expect-error the app is required
  celeriac({ prefix: '/jobs' });
  void tasks.close();
}
