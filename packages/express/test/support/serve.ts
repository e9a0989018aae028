// The shared HTTP suite's server, built with the middleware and router as a user would, on a real socket.
import type { AddressInfo } from 'node:net';
import express from 'express';
import { celeriac } from '@celeriac/express';
import type { Serve } from '../../../core/test/support/http-suite';

export const serveExpress: Serve = async (app, { authorize, heartbeat, retry, send }) => {
  const tasks = celeriac({ app, prefix: '/tasks', authorize, heartbeat, retry, closeApp: false });
  const server = express();
  server.use(express.json());
  server.use(tasks.middleware);
  server.use('/tasks', tasks.router);
  // NOTE: `.catch(next)`, as on Express 4 (which does not catch a handler's rejected promise): the suite runs on both.
  server.post('/send/:name', (req, res, next) => {
    send(req.params.name, req.body).then((result) => void res.accepted(result), next);
  });
  server.use(tasks.errorHandler);
  const http = await new Promise<import('node:http').Server>((resolve) => {
    const s = server.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    base: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    async close() {
      await tasks.close();
      http.closeIdleConnections();
      await new Promise((r) => http.close(r));
    },
  };
};
