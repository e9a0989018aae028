// Django's autodiscover_tasks for Node: imports `<folder>/tasks` of each folder, so its app.task() calls run.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigurationError } from '../errors';

const EXTENSIONS = ['.js', '.cjs', '.mjs', '.ts', '.cts', '.mts'];

function candidates(base: string): string[] {
  return [...EXTENSIONS.map((e) => base + e), ...EXTENSIONS.map((e) => join(base, `index${e}`))];
}

/** Loads a module by path, CommonJS or ESM. */
export async function importModule(path: string): Promise<Record<string, unknown>> {
  try {
    return require(path) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw err;
    // NOTE: with "module": "Node16" TypeScript keeps import() as a real dynamic import in CommonJS output.
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  }
}

/** Imports the `related` module of each folder; returns the files loaded. A folder without one is skipped. */
export async function autodiscover(folders: string[], related: string, baseDir: string): Promise<string[]> {
  const loaded: string[] = [];
  for (const folder of folders) {
    const dir = isAbsolute(folder) ? folder : resolve(baseDir, folder);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new ConfigurationError(`autodiscoverTasks: folder ${JSON.stringify(folder)} does not exist (looked in ${dir})`);
    }
    const file = candidates(join(dir, related)).find((f) => existsSync(f));
    if (!file) continue;
    await importModule(file);
    loaded.push(file);
  }
  return loaded;
}
