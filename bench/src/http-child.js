'use strict';
// HTTP server process: `node http-child.js <framework> <target> <redisUrl>`; framework is fastify or express;
// target is 'celeriac' (the integration package: `.delay()` then reply.accepted / res.accepted), a system name
// (its producer's send), or 'floor' (one Redis SET with ioredis). POST /register enqueues the body, answers 202.
const [framework, target, url] = process.argv.slice(2);

let n = 0;
async function enqueuer() {
  if (target === 'floor') {
    const Redis = require('ioredis');
    const redis = new Redis(url);
    return {
      send: async (body) => {
        const id = String(++n);
        await redis.set(`bench:floor:${id}`, JSON.stringify(body));
        return id;
      },
      close: () => redis.quit(),
    };
  }
  return require(`./systems/${target}`).producer(url);
}

// Responses served, for the CPU time per request (the parent asks for process.cpuUsage() around each load).
let served = 0;

async function fastifyServer() {
  const app = require('fastify')({ logger: false });
  app.addHook('onResponse', (_req, _reply, done) => {
    served++;
    done();
  });
  let close;
  if (target === 'celeriac') {
    const { createApp } = require('@celeriac/core');
    const celeriacApp = createApp('bench', { broker: url });
    const noop = celeriacApp.task('bench.noop', async () => null);
    await app.register(require('@celeriac/fastify').celeriac, { app: celeriacApp, closeApp: true });
    app.post('/register', async (req, reply) => reply.accepted(await noop.delay(req.body)));
    close = async () => undefined;
  } else {
    const q = await enqueuer();
    app.post('/register', async (req, reply) => {
      const taskId = await q.send(req.body);
      reply.code(202);
      return { task_id: taskId };
    });
    close = q.close;
  }
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { port: app.server.address().port, requests: () => served, close: async () => (await app.close(), await close()) };
}

async function expressServer() {
  const express = require('express');
  const app = express();
  app.use((_req, res, next) => {
    res.once('finish', () => served++);
    next();
  });
  app.use(express.json());
  let close;
  if (target === 'celeriac') {
    const { createApp } = require('@celeriac/core');
    const celeriacApp = createApp('bench', { broker: url });
    const noop = celeriacApp.task('bench.noop', async () => null);
    const tasks = require('@celeriac/express').celeriac({ app: celeriacApp });
    app.use(tasks.middleware);
    app.post('/register', async (req, res) => void res.accepted(await noop.delay(req.body)));
    app.use(tasks.errorHandler);
    close = () => tasks.close();
  } else {
    const q = await enqueuer();
    app.post('/register', async (req, res) => void res.status(202).json({ task_id: await q.send(req.body) }));
    close = q.close;
  }
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    port: server.address().port,
    requests: () => served,
    close: async () => {
      await new Promise((r) => server.close(r));
      await close();
    },
  };
}

async function main() {
  if (framework !== 'fastify' && framework !== 'express') throw new Error(`unknown framework ${framework}`);
  const server = framework === 'fastify' ? await fastifyServer() : await expressServer();
  process.send({ type: 'listening', port: server.port });
  process.on('message', async (msg) => {
    if (msg.cmd === 'usage') return void process.send({ type: 'usage', cpu: process.cpuUsage(), requests: server.requests() });
    if (msg.cmd !== 'exit') return;
    await server.close();
    process.exit(0);
  });
}

main().catch((e) => {
  process.send({ type: 'error', message: e.stack || String(e) });
  process.exit(1);
});
