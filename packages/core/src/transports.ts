// URL schemes served by optional packages. Core carries none of their dependencies: the package is
// required on first use, and a missing one is a ConfigurationError naming what to install.
import type { Broker } from './broker/broker';
import type { ResultBackend } from './backend/backend';
import { redactUrl, type Settings } from './config';
import { ConfigurationError } from './errors';
import { OPTIONAL_TRANSPORTS, schemeOf } from './transport-schemes';
import type { Logger } from './utils/logger';

/** What a transport package is given to build a broker or a result backend. */
export interface TransportContext {
  /** The app's validated settings (timeouts, pool sizes, queue declarations…). */
  readonly settings: Settings;
  readonly logger: Logger;
}

/** The exports core looks for in a transport package (`@celeriac/amqp`, `@celeriac/postgres`). */
export interface TransportModule {
  createBroker?(url: string, context: TransportContext): Broker;
  createBackend?(url: string, context: TransportContext): ResultBackend;
}

/** The package serving `url`'s scheme, or undefined when core serves it itself. */
export function transportPackage(url: string): string | undefined {
  return OPTIONAL_TRANSPORTS[schemeOf(url)];
}

// The loader is a seam so tests can check the "not installed" error without uninstalling anything.
let requireModule: (id: string) => unknown = (id) => require(id);

/** @internal tests only */
export function setTransportLoader(loader: ((id: string) => unknown) | null): void {
  requireModule = loader ?? ((id) => require(id));
}

/**
 * Loads an optional package that is not a transport (`@celeriac/dashboard` for `celeriac dashboard`); a missing one
 * is a ConfigurationError naming the package and how to install it.
 */
export function loadOptionalPackage<T>(pkg: string, neededFor: string): T {
  try {
    return requireModule(pkg) as T;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(pkg)) {
      throw new ConfigurationError(`${neededFor} needs the package ${pkg}, which is not installed: npm install ${pkg}`);
    }
    throw err;
  }
}

/** Loads the package serving `url` and checks it exports `factory`; `setting` names the setting in errors. */
export function loadTransport(setting: string, url: string, factory: keyof TransportModule): TransportModule {
  const pkg = transportPackage(url);
  if (!pkg) throw new ConfigurationError(`\`${setting}\` (${redactUrl(url)}) is not served by an optional package`);
  let mod: TransportModule;
  try {
    mod = requireModule(pkg) as TransportModule;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(pkg)) {
      throw new ConfigurationError(`\`${setting}\` (${redactUrl(url)}) needs the package ${pkg}: npm install ${pkg}`);
    }
    throw err;
  }
  if (typeof mod?.[factory] !== 'function') {
    throw new ConfigurationError(`\`${setting}\` (${redactUrl(url)}): ${pkg} cannot serve it (it exports no ${factory}())`);
  }
  return mod;
}
