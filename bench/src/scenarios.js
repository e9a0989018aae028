'use strict';
// The benchmark scenarios. Each takes the shared context:
//   { cfg, redis, systems: [adapter], producers: {name: producer}, record(key, who, value), log }
// Systems alternate inside every repetition; Redis is flushed before every measured run.
const autocannon = require('autocannon');
const { now, percentile, makePayload, pool } = require('./util');
const { spawnChild } = require('./children');

const payloadsFor = (n, from = 0) => Array.from({ length: n }, (_, i) => makePayload(from + i));

// Fill the queue the fastest way the system offers (bulk, else 1,000 sends in flight).
async function prefill(producer, payloads, chunk) {
  if (producer.sendBulk) {
    for (let i = 0; i < payloads.length; i += chunk) await producer.sendBulk(payloads.slice(i, i + chunk));
  } else {
    await pool(payloads.length, 1000, (i) => producer.send(payloads[i]));
  }
}

async function enqueue({ cfg, redis, systems, producers, record, log }) {
  const { n, inFlight, bulkChunk } = cfg.enqueue;
  const payloads = payloadsFor(n);
  for (const s of systems) {
    await pool(2000, 100, (i) => producers[s.name].send(payloads[i % n])); // warm-up
  }
  for (let rep = 0; rep < cfg.reps; rep++) {
    for (const s of systems) {
      const p = producers[s.name];
      await redis.flush();
      const c0 = await redis.commands();
      const cpu0 = await redis.cpuSeconds();
      const own0 = process.cpuUsage();
      let t0 = now();
      for (let i = 0; i < n; i++) await p.send(payloads[i]);
      record('enqueue.seq', s.name, n / ((now() - t0) / 1000));
      const own = process.cpuUsage(own0);
      record('producerCpu.send', s.name, (own.user + own.system) / n);
      record('redisCpu.send', s.name, (((await redis.cpuSeconds()) - cpu0) * 1e6) / n);
      record('cmds.send', s.name, ((await redis.commands()) - c0) / n);

      await redis.flush();
      t0 = now();
      await pool(n, inFlight, (i) => p.send(payloads[i]));
      record('enqueue.inflight', s.name, n / ((now() - t0) / 1000));

      if (p.sendBulk) {
        await redis.flush();
        t0 = now();
        for (let i = 0; i < n; i += bulkChunk) await p.sendBulk(payloads.slice(i, i + bulkChunk));
        record('enqueue.bulk', s.name, n / ((now() - t0) / 1000));
      }
      log(`enqueue rep ${rep + 1} ${s.name} done`);
    }
  }
  await redis.flush();
}

async function startWorkers({ redis, systems }) {
  const children = {};
  await Promise.all(
    systems.map(async (s) => {
      children[s.name] = spawnChild('worker-child.js', [s.name, redis.url]);
      await children[s.name].next('ready');
    }),
  );
  return children;
}

async function runWorker(child, msg) {
  child.send({ cmd: 'run', ...msg });
  await child.next('started');
  return child.next('result');
}

async function processScenario(ctx, children) {
  const { cfg, redis, systems, producers, record, log } = ctx;
  const { n, concurrencies, warmup } = cfg.process;
  const payloads = payloadsFor(n);
  for (const s of systems) {
    // warm-up run per worker process
    await redis.flush();
    await prefill(producers[s.name], payloadsFor(warmup), cfg.enqueue.bulkChunk);
    await runWorker(children[s.name], { n: warmup, concurrency: 10 });
  }
  for (let rep = 0; rep < cfg.reps; rep++) {
    for (const c of concurrencies) {
      for (const s of systems) {
        await redis.flush();
        await prefill(producers[s.name], payloads, cfg.enqueue.bulkChunk);
        const c0 = await redis.commands();
        const cpu0 = await redis.cpuSeconds();
        const res = await runWorker(children[s.name], { n, concurrency: c });
        const cpu = (await redis.cpuSeconds()) - cpu0;
        const cmds = (await redis.commands()) - c0;
        record(`process.c${c}`, s.name, n / ((res.tLast - res.t0) / 1000));
        record(`cmds.process.c${c}`, s.name, cmds / n);
        record(`redisCpu.process.c${c}`, s.name, (cpu * 1e6) / n);
        record(`workerCpu.process.c${c}`, s.name, res.cpuUs / n);
        log(`process rep ${rep + 1} c=${c} ${s.name} done`);
      }
    }
  }
  await redis.flush();
}

async function latency(ctx, children) {
  const { cfg, redis, systems, producers, record, log } = ctx;
  const { rate, seconds, concurrency } = cfg.latency;
  const total = Math.round(rate * seconds);
  for (let rep = 0; rep < cfg.reps; rep++) {
    for (const s of systems) {
      const p = producers[s.name];
      const child = children[s.name];
      await redis.flush();
      child.send({ cmd: 'run', n: total, concurrency, latency: true });
      await child.next('started');

      const sentAt = new Array(total);
      const ids = new Array(total);
      const sends = [];
      let i = 0;
      const tStart = now();
      await new Promise((resolve) => {
        const tick = () => {
          const due = Math.min(total, Math.floor(((now() - tStart) * rate) / 1000));
          for (; i < due; i++) {
            const k = i;
            const payload = { ...makePayload(k), i: k, sentAt: now() };
            sentAt[k] = payload.sentAt;
            sends.push(p.send(payload).then((id) => (ids[k] = id)));
          }
          if (i < total) setTimeout(tick, 1);
          else resolve();
        };
        tick();
      });
      await Promise.all(sends);
      const res = await child.next('result');

      const toStart = [];
      const toDone = [];
      for (let k = 0; k < total; k++) {
        if (res.starts[k] != null) toStart.push(res.starts[k] - sentAt[k]);
        const d = res.dones[ids[k]];
        if (d != null) toDone.push(d - sentAt[k]);
      }
      toStart.sort((a, b) => a - b);
      toDone.sort((a, b) => a - b);
      for (const q of [50, 95, 99]) {
        record(`latency.start.p${q}`, s.name, percentile(toStart, q));
        record(`latency.done.p${q}`, s.name, percentile(toDone, q));
      }
      record('latency.start.max', s.name, toStart.length ? toStart[toStart.length - 1] : null);
      record('latency.done.max', s.name, toDone.length ? toDone[toDone.length - 1] : null);
      record('latency.gc.max', s.name, res.gc?.max ?? null);
      if (toDone.length < total) log(`latency: ${s.name} reported completion of only ${toDone.length}/${total}`);
      log(`latency rep ${rep + 1} ${s.name} done (run took ${((now() - tStart) / 1000).toFixed(1)} s)`);
    }
  }
  await redis.flush();
}

// One HTTP server process per framework and target; autocannon drives them in turn, alternating inside each
// repetition. Keys: http.<framework>.rps / .p99 per target (celeriac, bullmq, floor).
async function http({ cfg, redis, systems, record, log }) {
  const names = new Set(systems.map((s) => s.name));
  const targets = [...cfg.http.targets.filter((t) => names.has(t)), 'floor'];
  const frameworks = cfg.http.frameworks;
  const servers = {};
  const key = (f, t) => `${f}/${t}`;
  for (const f of frameworks) {
    for (const t of targets) {
      const s = spawnChild('http-child.js', [f, t, redis.url]);
      servers[key(f, t)] = s;
      s.port = (await s.next('listening')).port;
    }
  }
  const load = (f, t, duration) =>
    autocannon({
      url: `http://127.0.0.1:${servers[key(f, t)].port}/register`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(makePayload(1)),
      connections: cfg.http.connections,
      duration,
    });
  try {
    for (const f of frameworks) for (const t of targets) await load(f, t, cfg.http.warmupSeconds); // warm-up
    for (let rep = 0; rep < cfg.reps; rep++) {
      for (const f of frameworks) {
        for (const t of targets) {
          await redis.flush();
          const child = servers[key(f, t)];
          child.send({ cmd: 'usage' });
          const before = await child.next('usage');
          const r = await load(f, t, cfg.http.seconds);
          child.send({ cmd: 'usage' });
          const after = await child.next('usage');
          const cpu = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
          record(`http.${f}.cpu`, t, cpu / Math.max(1, after.requests - before.requests));
          const bad = r.errors + r.timeouts + r.non2xx;
          if (bad) log(`http: ${f} ${t} had ${bad} errors/timeouts/non-2xx`);
          record(`http.${f}.rps`, t, r.requests.average);
          record(`http.${f}.p99`, t, r.latency.p99);
          log(`http rep ${rep + 1} ${f} ${t} done (${Math.round(r.requests.average)} req/s)`);
        }
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.exit()));
  }
  await redis.flush();
}

// Scaling: the same prefilled queue drained by one worker process, then by `processes` worker processes at once
// (each at the same concurrency). Every process counts its own tasks up to an equal share of N and reports when it got
// there; the aggregate rate is the sum of the per-process rates (share ÷ own time), all running at once. The queue
// holds N plus a margin so that no process runs dry before reaching its share while another still works.
// NOTE: several plain worker processes, each with its own connections. A process pool inside one worker (`-P processes`)
// runs only the task functions in its children (fetching, acks and results stay in the worker): it is for CPU-bound
// tasks, and the cpu scenario measures it (`cpu.scale`: pool processes ÷ main on the same tasks).
async function scaling(ctx) {
  const { cfg, redis, systems, producers, record, log } = ctx;
  const { n, processes, concurrency, margin } = cfg.scaling;
  const payloads = payloadsFor(Math.round(n * (1 + margin)));
  for (const s of systems) {
    const kids = [];
    try {
      for (let k = 0; k < processes; k++) {
        const child = spawnChild('worker-child.js', [s.name, redis.url]);
        kids.push(child);
        await child.next('ready');
      }
      // warm-up: every process drains a small queue once
      await redis.flush();
      const warm = cfg.process.warmup;
      await prefill(producers[s.name], payloadsFor(Math.round(warm * processes * (1 + margin))), cfg.enqueue.bulkChunk);
      await Promise.all(kids.map((c) => runWorker(c, { n: warm, concurrency })));
      for (let rep = 0; rep < cfg.reps; rep++) {
        let single = null;
        for (const used of [1, processes]) {
          await redis.flush();
          await prefill(producers[s.name], payloads, cfg.enqueue.bulkChunk);
          const share = Math.floor(n / used);
          const cpu0 = await redis.cpuSeconds();
          const results = await Promise.all(kids.slice(0, used).map((c) => runWorker(c, { n: share, concurrency })));
          const cpu = (await redis.cpuSeconds()) - cpu0;
          const rate = results.reduce((sum, r) => sum + share / ((r.tLast - r.t0) / 1000), 0);
          record(`scaling.p${used}`, s.name, rate);
          if (used === 1) single = rate;
          else record('scaling.ratio', s.name, rate / single);
          log(`scaling rep ${rep + 1} ${used} process(es) ${s.name} done (${Math.round(rate)} tasks/s, Redis ${((cpu * 1e6) / (share * used)).toFixed(1)} µs CPU/task)`);
        }
      }
    } finally {
      await Promise.all(kids.map((c) => c.exit()));
    }
    await redis.flush();
  }
}

async function memory({ cfg, redis, systems, producers, record, log }) {
  const [first, second] = cfg.memory.marks;
  for (const s of systems) {
    await redis.flush();
    const child = spawnChild('worker-child.js', [s.name, redis.url]);
    await child.next('ready');
    await prefill(producers[s.name], payloadsFor(first), cfg.enqueue.bulkChunk);
    child.send({ cmd: 'run', n: second, concurrency: cfg.memory.concurrency, marks: [first, second] });
    await child.next('started');
    record('memory.first', s.name, (await child.next('mark')).mem.rss / 2 ** 20);
    for (let i = first; i < second; i += 20_000) {
      await prefill(producers[s.name], payloadsFor(Math.min(20_000, second - i), i), cfg.enqueue.bulkChunk);
    }
    record('memory.second', s.name, (await child.next('mark')).mem.rss / 2 ** 20);
    await child.next('result');
    await child.exit();
    log(`memory ${s.name} done`);
    await redis.flush();
  }
}

module.exports = { enqueue, process: processScenario, latency, http, scaling, memory, startWorkers };
