#!/usr/bin/env node
// `npm start` / `npm run start:fastify` / `start:express` / `worker`: builds what the demo needs, then runs it.
// A package whose dist/ is missing or older than its sources is transpiled with SWC (about a second; no type check
// and no .d.ts: `npm run build` and `npm test` do the type-checked tsc build, which replaces it). Then the entry point
// runs in this process, so Ctrl-C / SIGTERM reach it directly.
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..', '..');
const ENTRIES = { nest: 'main-nest', fastify: 'main-fastify', express: 'main-express', worker: 'worker' };
// Build order: dependencies first.
const PACKAGES = ['packages/core', 'packages/nest', 'packages/fastify', 'packages/express', 'apps/demo-shop'];

function newestSource(dir) {
  let newest = 0;
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, fs.statSync(p).mtimeMs);
    }
  };
  walk(dir);
  return newest;
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** Fresh when its last build (tsc's tsbuildinfo, or our stamp) is newer than every source file and dist exists. */
function isFresh(pkg) {
  const dir = path.join(ROOT, pkg);
  if (!fs.existsSync(path.join(dir, 'dist'))) return false;
  const built = Math.max(mtime(path.join(dir, 'tsconfig.tsbuildinfo')), mtime(path.join(dir, 'dist', '.swc-build')));
  return built >= newestSource(path.join(dir, 'src'));
}

function transpile(pkg) {
  const swc = require('@swc/core');
  const dir = path.join(ROOT, pkg);
  const src = path.join(dir, 'src');
  const dist = path.join(dir, 'dist');
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        walk(p);
        continue;
      }
      const out = path.join(dist, path.relative(src, p));
      fs.mkdirSync(path.dirname(out), { recursive: true });
      if (!p.endsWith('.ts') || p.endsWith('.d.ts')) {
        fs.copyFileSync(p, out); // e.g. core's Lua scripts
        continue;
      }
      const js = out.replace(/\.ts$/, '.js');
      const { code, map } = swc.transformFileSync(p, {
        sourceMaps: true,
        outputPath: js,
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
        },
        module: { type: 'commonjs' },
      });
      fs.writeFileSync(js, `${code}\n//# sourceMappingURL=${path.basename(js)}.map\n`);
      if (map) fs.writeFileSync(`${js}.map`, map);
    }
  };
  walk(src);
  fs.writeFileSync(path.join(dist, '.swc-build'), `${new Date().toISOString()}\n`);
}

const which = process.argv[2] ?? 'nest';
const entry = ENTRIES[which];
if (!entry) {
  console.error(`usage: start.js ${Object.keys(ENTRIES).join('|')}`);
  process.exit(2);
}
const started = Date.now();
const stale = PACKAGES.filter((p) => !isFresh(p));
for (const pkg of stale) transpile(pkg);
if (stale.length) console.log(`built ${stale.join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s (SWC; \`npm run build\` type-checks)`);

const { runMain } = require(path.join(ROOT, 'apps/demo-shop/dist/run.js'));
runMain(require(path.join(ROOT, `apps/demo-shop/dist/${entry}.js`)).main);
