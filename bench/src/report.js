'use strict';
// Prints the results table (medians over repetitions) and the celeriac ratios.

function rows(cfg) {
  const k = (n) => (n >= 1000 ? `${n / 1000}k` : String(n));
  const r = [
    ['enqueue.seq', `enqueue, ${k(cfg.enqueue.n)} awaited one by one`, 'tasks/s', 'higher'],
    ['enqueue.inflight', `enqueue, ${k(cfg.enqueue.inFlight)} in flight`, 'tasks/s', 'higher'],
    ['enqueue.bulk', `enqueue, bulk (chunks of ${k(cfg.enqueue.bulkChunk)})`, 'tasks/s', 'higher'],
  ];
  for (const c of cfg.process.concurrencies)
    r.push([`process.c${c}`, `process ${k(cfg.process.n)}, concurrency ${c}`, 'tasks/s', 'higher']);
  for (const phase of ['start', 'done']) {
    for (const q of [50, 95, 99])
      r.push([`latency.${phase}.p${q}`, `latency send→${phase} p${q} (${cfg.latency.rate}/s)`, 'ms', 'lower']);
    r.push([`latency.${phase}.max`, `latency send→${phase} worst (${cfg.latency.rate}/s)`, 'ms', 'lower']);
  }
  r.push(['latency.gc.max', `worker's longest GC pause in the latency run`, 'ms', 'lower']);
  if (cfg.scaling) {
    const { n, processes, concurrency } = cfg.scaling;
    r.push(['scaling.p1', `scaling ${k(n)}, 1 worker process, c=${concurrency}`, 'tasks/s', 'higher']);
    r.push([`scaling.p${processes}`, `scaling ${k(n)}, ${processes} worker processes`, 'tasks/s', 'higher']);
    r.push(['scaling.ratio', `scaling, ${processes} processes ÷ 1`, '×', 'higher']);
  }
  r.push(['cmds.send', 'Redis commands per send', 'cmds', 'lower']);
  for (const c of cfg.process.concurrencies)
    r.push([`cmds.process.c${c}`, `Redis commands per processed task, c=${c}`, 'cmds', 'lower']);
  r.push(['producerCpu.send', 'producer CPU per send (one by one)', 'µs', 'lower']);
  for (const c of cfg.process.concurrencies)
    r.push([`workerCpu.process.c${c}`, `worker CPU per processed task, c=${c}`, 'µs', 'lower']);
  r.push(['redisCpu.send', 'Redis CPU per send', 'µs', 'lower']);
  for (const c of cfg.process.concurrencies)
    r.push([`redisCpu.process.c${c}`, `Redis CPU per processed task, c=${c}`, 'µs', 'lower']);
  for (const f of cfg.http.frameworks ?? []) {
    r.push([`http.${f}.rps`, `HTTP ${f} route, ${cfg.http.connections} conns`, 'req/s', 'higher']);
    r.push([`http.${f}.p99`, `HTTP ${f} route p99`, 'ms', 'lower']);
    r.push([`http.${f}.cpu`, `HTTP ${f} server CPU per request`, 'µs', 'lower']);
  }
  if (cfg.cpu) {
    for (const pool of ['main', 'threads', 'processes']) {
      const bull = { main: 'inline processor', threads: 'sandboxed, worker threads', processes: 'sandboxed, child processes' }[pool];
      r.push([`cpu.${pool}`, `CPU-bound ${k(cfg.cpu.n)} × ${cfg.cpu.ms} ms hashing, pool ${pool} ×${cfg.cpu.size} (BullMQ: ${bull})`, 'tasks/s', 'higher']);
    }
    r.push(['cpu.scale', `CPU-bound, pool processes ×${cfg.cpu.size} ÷ main (one worker, every core)`, '×', 'higher']);
  }
  r.push(['memory.first', `worker RSS after ${k(cfg.memory.marks[0])} tasks`, 'MB', 'lower']);
  r.push(['memory.second', `worker RSS after ${k(cfg.memory.marks[1])} tasks`, 'MB', 'lower']);
  return r;
}

const fmt = (v) => {
  if (v == null || !Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
};
const ratio = (a, b) => (a == null || b == null || !b ? '—' : `${(a / b).toFixed(2)}×`);

function printReport(result, labels) {
  const { cfg, medians } = result;
  const systems = result.systems;
  const withC = systems.includes('celeriac');
  const others = systems.filter((s) => s !== 'celeriac');
  const header = ['scenario', 'unit', ...systems.map((s) => labels[s])];
  if (withC) for (const o of others) header.push(`celeriac/${labels[o]}`);
  const table = [header];
  for (const [key, label, unit, better] of rows(cfg)) {
    const m = medians[key];
    if (!m) continue;
    const line = [label, `${unit} ${better === 'higher' ? '↑' : '↓'}`, ...systems.map((s) => fmt(m[s]))];
    if (withC) for (const o of others) line.push(ratio(m.celeriac, m[o]));
    table.push(line);
  }
  const widths = header.map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
  const out = table.map((r) => r.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  '));
  out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  console.log(`\n${out.join('\n')}`);
  for (const f of cfg.http.frameworks ?? []) {
    const rps = medians[`http.${f}.rps`];
    if (rps?.floor == null) continue;
    const share = rps.celeriac != null ? `; celeriac .delay() + 202 keeps ${((100 * rps.celeriac) / rps.floor).toFixed(0)} % of it` : '';
    const bull = rps.celeriac != null && rps.bullmq != null ? `, ${ratio(rps.celeriac, rps.bullmq)} BullMQ's queue.add route` : '';
    const cpu = medians[`http.${f}.cpu`];
    const cpuShare = cpu?.celeriac != null && cpu.floor ? `; server CPU per request ${fmt(cpu.celeriac)} µs vs the floor's ${fmt(cpu.floor)} µs` : '';
    console.log(`\nHTTP floor, ${f} (route doing one Redis SET with ioredis): ${fmt(rps.floor)} req/s, p99 ${fmt(medians[`http.${f}.p99`].floor)} ms${share}${bull}${cpuShare}`);
  }
  const m = result.machine;
  console.log(
    `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, Redis ${m.redis}. ` +
      `Medians of ${cfg.reps} repetitions${cfg.quick ? ' (--quick)' : ''}; memory is a single run` +
      `${cfg.cpu && result.scenarios.includes('cpu') ? `, cpu ${cfg.cpu.reps === 1 ? 'a single run' : `the median of ${cfg.cpu.reps}`}` : ''}. ` +
      '↑ higher is better, ↓ lower is better; ratios are celeriac divided by the other system.',
  );
}

module.exports = { printReport };
