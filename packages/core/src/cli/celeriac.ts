#!/usr/bin/env node
// The `celeriac` command: worker, status, result, purge, call (like `celery -A … worker`).
import { parseArgs } from 'node:util';
import { createApp, type Celeriac } from '../app';
import { CeleriacError } from '../errors';
import { consoleLogger, isLogLevel } from '../utils/logger';
import { loadApp } from './load-app';

const USAGE = `Usage: celeriac <command> [options]

Commands:
  worker   run a worker          celeriac worker -A ./dist/tasks.js -Q mail,default -c 10 -l info
  status   list live workers     celeriac status -A ./dist/tasks.js
  result   show a task's state   celeriac result <task-id> -A ./dist/tasks.js
  purge    empty a queue         celeriac purge -Q mail -A ./dist/tasks.js
  call     send a task by name   celeriac call users.send --args '["ann@example.com"]' -A ./dist/tasks.js

Options:
  -A, --app <module>        module exporting the app (as \`app\` or default export)
  -b, --broker <url>        broker URL (instead of -A, for status/result/purge/call)
  -Q, --queues <a,b>        queues (worker, purge)
  -c, --concurrency <n>     tasks run at once (worker)
  -l, --loglevel <level>    debug | info | warn | error (default info)
  -n, --hostname <name>     worker name shown by status
      --args <json>         positional arguments (call)
      --kwargs <json>       keyword arguments (call)
  -h, --help`;

interface Flags {
  app?: string;
  broker?: string;
  queues?: string;
  concurrency?: string;
  loglevel?: string;
  hostname?: string;
  args?: string;
  kwargs?: string;
  help?: boolean;
}

function parse(argv: string[]): { command: string | undefined; positionals: string[]; flags: Flags } {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      app: { type: 'string', short: 'A' },
      broker: { type: 'string', short: 'b' },
      queues: { type: 'string', short: 'Q' },
      concurrency: { type: 'string', short: 'c' },
      loglevel: { type: 'string', short: 'l' },
      hostname: { type: 'string', short: 'n' },
      args: { type: 'string' },
      kwargs: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return { command: positionals[0], positionals: positionals.slice(1), flags: values as Flags };
}

async function getApp(flags: Flags): Promise<Celeriac> {
  if (flags.app) return loadApp(flags.app);
  if (flags.broker) return createApp('celeriac-cli', { broker: flags.broker });
  throw new CeleriacError('Give the app with -A <module> (or a broker URL with -b)');
}

function json(text: string | undefined, what: string, fallback: unknown): unknown {
  if (text === undefined) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    throw new CeleriacError(`--${what} must be JSON, got ${text}`);
  }
}

async function runWorker(flags: Flags): Promise<void> {
  const level = flags.loglevel ?? 'info';
  if (!isLogLevel(level)) throw new CeleriacError(`-l must be debug, info, warn or error, got ${level}`);
  const app = await getApp(flags);
  const logger = consoleLogger(level, 'worker');
  const concurrency = flags.concurrency === undefined ? undefined : Number(flags.concurrency);
  const worker = app.worker({
    ...(flags.queues ? { queues: flags.queues.split(',').map((q) => q.trim()).filter(Boolean) } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(flags.hostname ? { hostname: flags.hostname } : {}),
    logger,
  });
  worker.on('error', (err) => logger.error(err.message));
  let signals = 0;
  const stop = (sig: string) => {
    signals++;
    if (signals === 1) {
      logger.info(`${sig}: warm shutdown (finishing running tasks; send again for cold shutdown)`);
      worker
        .close()
        .then(() => app.close())
        .then(() => process.exit(0))
        .catch((err) => {
          logger.error(String(err));
          process.exit(1);
        });
    } else {
      logger.info(`${sig}: cold shutdown (running tasks go back to their queues)`);
      void worker.close({ timeout: 0 });
    }
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  await worker.start();
  logger.info(`tasks: ${app.registry.names().join(', ') || '(none registered)'}`);
}

async function status(flags: Flags): Promise<void> {
  const app = await getApp(flags);
  try {
    const workers = await app.broker.workers();
    if (!workers.length) console.log('No live workers.');
    for (const w of workers) {
      const ago = w.lastSeen ? `${((Date.now() - w.lastSeen) / 1000).toFixed(1)}s ago` : '?';
      console.log(`${w.hostname} (pid ${w.pid}): OK  queues=${w.queues.join(',')} concurrency=${w.concurrency} active=${w.active} processed=${w.processed} heartbeat=${ago}`);
    }
    console.log(`${workers.length} node(s) online.`);
  } finally {
    await app.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const { command, positionals, flags } = parse(argv);
  if (flags.help || !command) {
    console.log(USAGE);
    return command || flags.help ? 0 : 1;
  }
  switch (command) {
    case 'worker':
      await runWorker(flags);
      return -1; // keeps running until a signal
    case 'status':
      await status(flags);
      return 0;
    case 'result': {
      const id = positionals[0];
      if (!id) throw new CeleriacError('Usage: celeriac result <task-id> -A <module>');
      const app = await getApp(flags);
      try {
        const meta = await app.asyncResult(id).meta();
        console.log(JSON.stringify(meta ?? { task_id: id, status: 'PENDING' }, null, 2));
      } finally {
        await app.close();
      }
      return 0;
    }
    case 'purge': {
      const app = await getApp(flags);
      try {
        const queues = (flags.queues ?? app.settings.taskDefaultQueue).split(',');
        for (const q of queues) console.log(`Purged ${await app.broker.purge(q)} message(s) from ${q}.`);
      } finally {
        await app.close();
      }
      return 0;
    }
    case 'call': {
      const name = positionals[0];
      if (!name) throw new CeleriacError('Usage: celeriac call <task-name> --args \'[…]\' -A <module>');
      const app = await getApp(flags);
      try {
        const args = json(flags.args, 'args', []);
        const kwargs = json(flags.kwargs, 'kwargs', {});
        if (!Array.isArray(args)) throw new CeleriacError('--args must be a JSON array');
        const res = await app.sendTask(name, args, { kwargs: kwargs as Record<string, unknown>, ...(flags.queues ? { queue: flags.queues } : {}) });
        console.log(res.id);
      } finally {
        await app.close();
      }
      return 0;
    }
    default:
      console.error(`Unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`celeriac: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
