'use strict';
// Forks a child script and lets the parent await its IPC messages by type.
const { fork } = require('node:child_process');
const path = require('node:path');

function spawnChild(script, args, { timeoutMs = 600_000 } = {}) {
  const proc = fork(path.join(__dirname, script), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox = [];
  const waiters = [];
  let dead = null;

  const deliver = () => {
    for (let w = 0; w < waiters.length; w++) {
      const waiter = waiters[w];
      const i = inbox.findIndex((m) => m.type === waiter.type || m.type === 'error');
      if (i >= 0) {
        const [msg] = inbox.splice(i, 1);
        waiters.splice(w--, 1);
        clearTimeout(waiter.timer);
        if (msg.type === 'error') waiter.reject(new Error(`${script} ${args[0]}: ${msg.message}`));
        else waiter.resolve(msg);
      } else if (dead) {
        waiters.splice(w--, 1);
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`${script} ${args[0]} exited (${dead}) while waiting for '${waiter.type}'`));
      }
    }
  };
  proc.on('message', (m) => {
    inbox.push(m);
    deliver();
  });
  proc.on('exit', (code, signal) => {
    dead = signal || `code ${code}`;
    deliver();
  });

  return {
    proc,
    send: (msg) => proc.send(msg),
    next: (type, ms = timeoutMs) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`${script} ${args[0]}: no '${type}' within ${ms} ms`));
        }, ms);
        const waiter = { type, resolve, reject, timer };
        waiters.push(waiter);
        deliver();
      }),
    async exit() {
      if (dead) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.send({ cmd: 'exit' });
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

module.exports = { spawnChild };
