#!/usr/bin/env node
'use strict';
// Entry point: `node src/harness.js [--quick] [--systems a,b] [--scenarios x,y] [--frameworks f,g] [--reps n] [--out file]`.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median, parseArgs } = require('./util');
const { startRedis } = require('./redis');
const postgres = require('./postgres');
const { startRabbit } = require('./rabbitmq');
const scenarios = { ...require('./scenarios'), ...require('./cpu') };
const { printReport } = require('./report');

const ALL_SYSTEMS = ['celeriac', 'bullmq', 'beequeue', 'celeriac-pg', 'celeriac-amqp', 'celeriac-events'];
const ALL_SCENARIOS = ['enqueue', 'process', 'latency', 'http', 'scaling', 'memory', 'cpu'];

function config(opts) {
  const q = opts.quick;
  return {
    quick: q,
    reps: opts.reps ?? 3,
    enqueue: { n: q ? 2000 : 20_000, inFlight: 1000, bulkChunk: 1000 },
    process: { n: q ? 1000 : 20_000, concurrencies: [1, 10, 100], warmup: q ? 500 : 2000 },
    latency: { rate: 1000, seconds: q ? 1 : 10, concurrency: 10 },
    http: { seconds: q ? 2 : 10, warmupSeconds: q ? 0.25 : 2, connections: 100, targets: ['celeriac', 'bullmq'], frameworks: opts.frameworks ?? ['fastify', 'express'] },
    scaling: { n: q ? 4000 : 40_000, processes: 2, concurrency: 100, margin: 0.25 },
    memory: { marks: q ? [2000, 5000] : [20_000, 200_000], concurrency: 10 },
    // NOTE: one repetition unless --reps is given: 2,000 tasks × 3 pools × 2 systems is about 80 s a repetition on 2 cores.
    cpu: { n: q ? 500 : 2000, ms: 10, size: 2, reps: opts.reps ?? 1 },
  };
}

function packageVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return null; // package.json not exported
  }
}

const USAGE = `usage: npm run bench -- [--quick] [--systems ${ALL_SYSTEMS.join(',')}]
                     [--scenarios ${ALL_SCENARIOS.join(',')}] [--frameworks fastify,express] [--reps 3]
                     [--out bench/results/latest.json]`;

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) return console.log(USAGE);
  // celeriac-pg (results in PostgreSQL) joins the default run where a Postgres can be had.
  const systemNames = opts.systems ?? ALL_SYSTEMS.filter((s) => s !== 'celeriac-pg' || postgres.available());
  const scenarioNames = opts.scenarios ?? ALL_SCENARIOS;
  for (const s of systemNames) if (!ALL_SYSTEMS.includes(s)) throw new Error(`unknown system ${s}\n${USAGE}`);
  for (const s of scenarioNames) if (!ALL_SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}\n${USAGE}`);
  for (const f of opts.frameworks ?? []) if (!['fastify', 'express'].includes(f)) throw new Error(`unknown framework ${f}\n${USAGE}`);
  const cfg = config(opts);
  const systems = systemNames.map((s) => require(`./systems/${s}`)); // fails early if celeriac is not built
  const labels = Object.fromEntries(systems.map((s) => [s.name, s.label]));
  const started = Date.now();
  const log = (msg) => console.error(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);

  const redis = await startRedis();
  log(`redis-server ${redis.version} on port ${redis.port}`);
  const pg = systemNames.includes('celeriac-pg') ? await postgres.startPostgres() : null;
  if (pg) {
    process.env.BENCH_DATABASE_URL = pg.url; // read by systems/celeriac-pg.js, here and in the worker children
    log(`postgres ${pg.version} for celeriac+pg results`);
    const flushRedis = redis.flush;
    redis.flush = async () => {
      await flushRedis();
      await pg.flush();
    };
  }
  // celeriac-amqp: a rabbitmq-server of the run's own; its URL reaches the worker children through the environment.
  const rabbit = systemNames.includes('celeriac-amqp') ? await startRabbit() : null;
  if (rabbit) {
    process.env.BENCH_AMQP_URL = rabbit.url;
    log(`rabbitmq-server ${rabbit.version} at ${rabbit.url.replace(/:[^:@/]*@/, ':***@')}`);
  }
  // NOTE: "flush" empties every store a run used: Redis, and the brokers of systems that are not Redis.
  const flushAll = async () => {
    await redis.flush();
    for (const p of Object.values(producers)) if (p.flush) await p.flush();
  };
  const samples = {};
  const record = (key, who, value) => ((samples[key] ??= {})[who] ??= []).push(value);
  const producers = {};
  // worker processes are shared by the process and latency scenarios
  const lastWorkerScenario = ['latency', 'process'].find((s) => scenarioNames.includes(s));
  let children = null;
  try {
    for (const s of systems) producers[s.name] = await s.producer(redis.url);
    const runRedis = { ...redis, flush: flushAll };
    for (const name of ALL_SCENARIOS.filter((s) => scenarioNames.includes(s))) {
      // A system may run only some scenarios (celeriac-amqp: enqueue and process).
      const ctx = { cfg, redis: runRedis, systems: systems.filter((s) => !s.scenarios || s.scenarios.includes(name)), producers, record, log };
      log(`scenario ${name}`);
      await flushAll();
      if ((name === 'process' || name === 'latency') && !children) children = await scenarios.startWorkers(ctx);
      await scenarios[name](ctx, children);
      if (name === lastWorkerScenario) {
        await Promise.all(Object.values(children).map((c) => c.exit()));
        children = null;
      }
    }
  } finally {
    if (children) await Promise.all(Object.values(children).map((c) => c.exit()));
    await Promise.all(Object.values(producers).map((p) => p.close()));
    await redis.stop();
    await pg?.stop();
    await rabbit?.stop();
  }

  const medians = {};
  for (const [key, bySys] of Object.entries(samples))
    medians[key] = Object.fromEntries(Object.entries(bySys).map(([who, xs]) => [who, median(xs)]));
  const result = {
    date: new Date().toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine: { cpu: os.cpus()[0].model, cores: os.cpus().length, node: process.version, redis: redis.version, ...(pg ? { postgres: pg.version } : {}), ...(rabbit ? { rabbitmq: rabbit.version } : {}) },
    versions: Object.fromEntries(
      ['bullmq', 'bee-queue', 'fastify', 'express', 'autocannon', 'ioredis', ...(systemNames.includes('celeriac') ? ['@celeriac/core'] : [])]
        .map((p) => [p, packageVersion(p)]),
    ),
    systems: systemNames,
    scenarios: scenarioNames,
    cfg,
    medians,
    samples,
  };
  const out = opts.out ? path.resolve(opts.out) : path.join(__dirname, '..', 'results', 'latest.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  printReport(result, labels);
  log(`results written to ${path.relative(process.cwd(), out)}`);
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
