'use strict';
// HTTP server process: `node http-child.js <target> <redisUrl>`; target is a system name or
// 'floor' (one Redis SET with ioredis). POST /register enqueues the body and answers 202.
const fastify = require('fastify');

const [target, url] = process.argv.slice(2);

async function main() {
  let enqueue;
  let close;
  if (target === 'floor') {
    const Redis = require('ioredis');
    const redis = new Redis(url);
    let n = 0;
    enqueue = async (body) => {
      const id = String(++n);
      await redis.set(`bench:floor:${id}`, JSON.stringify(body));
      return id;
    };
    close = () => redis.quit();
  } else {
    const producer = await require(`./systems/${target}`).producer(url);
    enqueue = producer.send;
    close = producer.close;
  }

  const app = fastify({ logger: false });
  app.post('/register', async (req, reply) => {
    const taskId = await enqueue(req.body);
    reply.code(202);
    return { task_id: taskId };
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  process.send({ type: 'listening', port: app.server.address().port });
  process.on('message', async (msg) => {
    if (msg.cmd !== 'exit') return;
    await app.close();
    await close();
    process.exit(0);
  });
}

main().catch((e) => {
  process.send({ type: 'error', message: e.stack || String(e) });
  process.exit(1);
});
