'use strict';
// Starts a private redis-server from PATH on a free loopback port, plus an admin client.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const { freePort } = require('./util');
const os = require('node:os');
const path = require('node:path');
const Redis = require('ioredis');

async function startRedis() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-bench-'));
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const spawned = new Promise((_, reject) => {
    proc.on('error', (e) => reject(new Error(`cannot start redis-server from PATH: ${e.message}`)));
    proc.on('exit', (code) => reject(new Error(`redis-server exited early (${code}): ${stderr}`)));
  });
  const admin = new Redis({ host: '127.0.0.1', port, lazyConnect: true, retryStrategy: () => null });
  const quiet = () => {}; // connection errors while redis-server boots are retried below
  admin.on('error', quiet);
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await Promise.race([admin.connect(), spawned]);
      break;
    } catch (e) {
      if (Date.now() > deadline || !/ECONNREFUSED|Connection is closed/.test(String(e))) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  admin.off('error', quiet);
  admin.on('error', (e) => console.error('[bench redis admin]', e.message));
  const info = await admin.info('server');
  const version = /redis_version:(\S+)/.exec(info)[1];

  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    version,
    admin,
    flush: () => admin.flushall(),
    // Sum of `calls` over every cmdstat_* line (commands run inside Lua scripts included),
    // minus our own INFO calls.
    async commands() {
      const text = await admin.info('commandstats');
      let total = 0;
      for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) if (m[1] !== 'info') total += Number(m[2]);
      return total;
    },
    // Seconds of CPU the server has used so far (`INFO cpu`: used_cpu_sys + used_cpu_user, main thread and children).
    async cpuSeconds() {
      const text = await admin.info('cpu');
      const get = (k) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(text)[1]);
      return get('used_cpu_sys') + get('used_cpu_user');
    },
    async stop() {
      admin.disconnect();
      proc.removeAllListeners('exit');
      await new Promise((resolve) => {
        proc.once('exit', resolve);
        proc.kill('SIGTERM');
      });
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startRedis, freePort };
