// `celeriac dashboard`: serves @celeriac/dashboard (an optional package, loaded here) until SIGTERM/SIGINT.
// Credentials come from the environment, never the command line (where `ps` shows them).
import type { Celeriac } from '../../app';
import { CeleriacError } from '../../errors';
import { loadOptionalPackage } from '../../transports';
import type { Logger } from '../../utils/logger';
import { consoleLogger } from '../../utils/logger';
import { logLevel, type Flags } from '../args';
import { appFor } from '../connect';

export const DASHBOARD_PACKAGE = '@celeriac/dashboard';
const TOKEN_ENV = 'CELERIAC_DASHBOARD_TOKEN';
const BASIC_ENV = 'CELERIAC_DASHBOARD_BASIC_AUTH';

/** What core needs of the package (its full API is in @celeriac/dashboard). */
export interface DashboardModule {
  createDashboard(
    app: Celeriac,
    options: { readOnly?: boolean; token?: string; basicAuth?: { username: string; password: string } },
  ): { listen(port: number, host: string): Promise<{ url: string }>; close(): Promise<void> };
}

export function loadDashboard(): DashboardModule {
  const mod = loadOptionalPackage<DashboardModule>(DASHBOARD_PACKAGE, 'celeriac dashboard');
  if (typeof mod?.createDashboard !== 'function') throw new CeleriacError(`${DASHBOARD_PACKAGE} exports no createDashboard(): is it the right version?`);
  return mod;
}

function port(flags: Flags): number {
  const p = flags.port === undefined ? 5555 : Number(flags.port);
  if (!Number.isInteger(p) || p < 0 || p > 65_535) throw new CeleriacError(`--port must be a port number (0–65535), got ${flags.port}`);
  return p;
}

function credentials(logger: Logger, host: string): { token?: string; basicAuth?: { username: string; password: string } } {
  const token = process.env[TOKEN_ENV] || undefined;
  const basic = process.env[BASIC_ENV] || undefined;
  let basicAuth: { username: string; password: string } | undefined;
  if (basic) {
    const i = basic.indexOf(':');
    if (i <= 0 || i === basic.length - 1) throw new CeleriacError(`${BASIC_ENV} must be <username>:<password>`);
    basicAuth = { username: basic.slice(0, i), password: basic.slice(i + 1) };
  }
  if (!token && !basicAuth && !['127.0.0.1', '::1', 'localhost'].includes(host)) {
    logger.warn(`no ${TOKEN_ENV} or ${BASIC_ENV} set: the dashboard answers requests from this machine only, even on ${host}`);
  }
  return { ...(token ? { token } : {}), ...(basicAuth ? { basicAuth } : {}) };
}

export async function dashboard(flags: Flags): Promise<void> {
  const logger = consoleLogger(logLevel(flags), 'dashboard');
  const mod = loadDashboard();
  const p = port(flags);
  const host = flags.bind ?? '127.0.0.1';
  const app = await appFor(flags, 'dashboard');
  const d = mod.createDashboard(app, { readOnly: flags['read-only'] === true, ...credentials(logger, host) });
  const { url } = await d.listen(p, host);
  logger.info(`dashboard on ${url}${flags['read-only'] ? ' (read-only)' : ''}, broker ${app.broker.url}`);
  const stop = (sig: string) => {
    logger.info(`${sig}: closing the dashboard`);
    d.close()
      .then(() => app.close())
      .then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
