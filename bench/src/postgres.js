'use strict';
// PostgreSQL for the celeriac+pg system: DATABASE_URL's server when set, else a throwaway cluster (Debian's
// postgresql; initdb runs as the `postgres` user when we are root) on a free loopback port. Either way the
// results go to a database of its own, emptied by flush() and dropped by stop().
const { spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const { freePort } = require('./util');
const os = require('node:os');
const path = require('node:path');
const { Client } = require('pg');

function binDir() {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root) ? fs.readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (fs.existsSync(path.join(root, v, 'bin', 'initdb'))) return path.join(root, v, 'bin');
  return null;
}

const asPostgres = (args) => (process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...args] : args);
function run(args) {
  const [cmd, ...rest] = asPostgres(args);
  const r = spawnSync(cmd, rest, { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr || r.stdout}`);
}

async function query(url, sql) {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}

/** True when the bench can have a Postgres (DATABASE_URL, or Debian's postgresql installed). */
const available = () => Boolean(process.env.DATABASE_URL || binDir());

async function startPostgres() {
  let admin;
  let dir = null;
  const bin = binDir();
  if (process.env.DATABASE_URL) admin = process.env.DATABASE_URL;
  else {
    if (!bin) throw new Error('celeriac+pg needs PostgreSQL: set DATABASE_URL or install Debian\'s postgresql');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'celeriac-bench-pg-'));
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dir]);
    const port = await freePort();
    run([path.join(bin, 'initdb'), '-D', path.join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
    // NOTE: synchronous_commit off: Redis runs without persistence in this bench too.
    run([path.join(bin, 'pg_ctl'), '-D', path.join(dir, 'data'), '-w', '-l', path.join(dir, 'log'), '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c synchronous_commit=off`, 'start']);
    admin = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  }
  const db = `celeriac_bench_${process.pid}`;
  await query(admin, `DROP DATABASE IF EXISTS ${db}`);
  await query(admin, `CREATE DATABASE ${db}`);
  const url = Object.assign(new URL(admin), { pathname: `/${db}` }).toString();
  const version = (await query(url, 'SHOW server_version')).rows[0].server_version;
  return {
    url,
    version,
    /** Empties the results table (it exists once a celeriac+pg app has used it). */
    async flush() {
      await query(url, 'TRUNCATE celery_taskmeta').catch((e) => {
        if (e.code !== '42P01') throw e; // not created yet
      });
    },
    async stop() {
      await query(admin, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
      if (dir) {
        run([path.join(bin, 'pg_ctl'), '-D', path.join(dir, 'data'), '-m', 'fast', 'stop']);
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

module.exports = { startPostgres, available };
