// Finds the app a `-A <module>` names: its `app` export or its default export.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Celeriac } from '../app';
import { ConfigurationError } from '../errors';
import { importModule } from '../utils/autodiscover';

function looksLikeApp(v: unknown): v is Celeriac {
  return v instanceof Celeriac || (typeof v === 'object' && v !== null && typeof (v as Celeriac).worker === 'function' && typeof (v as Celeriac).sendTask === 'function');
}

/** The app a loaded module exports: `app`, default, `default.app`, `celery`, or the module itself. */
export function findApp(mod: Record<string, unknown>): Celeriac | undefined {
  const def = mod.default as Record<string, unknown> | undefined;
  return [mod.app, def, def?.app, mod.celery, mod].find(looksLikeApp); // `mod` itself: CommonJS `module.exports = app`
}

export async function loadApp(spec: string, cwd = process.cwd()): Promise<Celeriac> {
  const path = resolve(cwd, spec);
  const file = [path, `${path}.js`, `${path}.cjs`, `${path}.mjs`, `${path}/index.js`].find((p) => existsSync(p));
  if (!file) throw new ConfigurationError(`-A ${spec}: no such module (looked for ${path}[.js|.cjs|.mjs])`);
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(file);
  } catch (err) {
    // NOTE: the user's own code failed: its stack is what they need to fix it.
    const detail = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
    throw new ConfigurationError(`-A ${spec}: loading ${file} failed:\n${detail}`);
  }
  const app = findApp(mod);
  if (!app) throw new ConfigurationError(`-A ${spec}: the module exports no app (export it as \`app\` or as the default export)`);
  return app;
}
