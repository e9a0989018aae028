'use strict';
// Starts a private rabbitmq-server (Debian's package) on free loopback ports for the celeriac-amqp system, in a
// temp directory of its own (no plugins, no disk alarm), unless BENCH_AMQP_URL names one.
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { freePort } = require('./redis');

const canConnect = (port) =>
  new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

async function startRabbit() {
  if (process.env.BENCH_AMQP_URL) return { url: process.env.BENCH_AMQP_URL, version: 'external', stop: async () => {} };
  const [port, dist] = [await freePort(), await freePort()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-bench-rabbit-'));
  fs.writeFileSync(
    path.join(dir, 'rabbitmq.conf'),
    [`listeners.tcp.1 = 127.0.0.1:${port}`, 'loopback_users = none', 'log.console = false', 'disk_free_limit.absolute = 1MB'].join('\n') + '\n',
  );
  fs.writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
  fs.writeFileSync(path.join(dir, '.erlang.cookie'), crypto.randomBytes(16).toString('hex'), { mode: 0o400 });
  const env = {
    ...process.env,
    HOME: dir,
    RABBITMQ_NODENAME: `bench${port}@localhost`,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(dist),
    RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: path.join(dir, 'log'),
    RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: path.join(dir, 'rabbit.pid'),
  };
  const proc = spawn('/usr/lib/rabbitmq/bin/rabbitmq-server', [], { env, cwd: dir, stdio: 'ignore', detached: true });
  proc.on('error', () => {});
  const deadline = Date.now() + 90_000;
  // NOTE: the port opens before the broker accepts AMQP logins: a real connection is the readiness check.
  const amqp = require('amqplib');
  const url = `amqp://guest:guest@127.0.0.1:${port}/`;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`rabbitmq-server exited (${proc.exitCode}); logs in ${dir}/log`);
    if (await canConnect(port)) {
      try {
        const c = await amqp.connect(url);
        const version = c.connection.serverProperties.version;
        await c.close();
        return {
          url,
          version,
          async stop() {
            try {
              process.kill(-proc.pid, 'SIGKILL');
            } catch {}
            fs.rmSync(dir, { recursive: true, force: true });
          },
        };
      } catch {}
    }
    if (Date.now() > deadline) throw new Error(`rabbitmq-server not up within 90 s; logs in ${dir}/log`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

module.exports = { startRabbit };
