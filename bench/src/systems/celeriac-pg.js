'use strict';
// celeriac as systems/celeriac.js, broker Redis, results in PostgreSQL (db+postgresql://, Celery's database
// backend tables). The harness starts the database and passes its URL in BENCH_DATABASE_URL.
const base = require('./celeriac');

const backend = () => {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) throw new Error('celeriac+pg: BENCH_DATABASE_URL is not set (the harness sets it)');
  return `db+${url}`;
};

module.exports = {
  name: 'celeriac-pg',
  label: 'celeriac+pg',
  // Only where results are written: sending does not touch the result backend.
  scenarios: ['process', 'latency'],
  producer: (url) => base.producer(url, { backend: backend() }),
  worker: (url, opts) => base.worker(url, { ...opts, backend: backend() }),
};
