// The app a command works on: `-A <module>` and/or `-b <url>` (else CELERIAC_BROKER_URL), never memory://.
import { createApp, type Celeriac } from '../app';
import { redactUrl, settingsFromEnv, type SettingsInput } from '../config';
import { CeleriacError, ConfigurationError } from '../errors';
import type { Flags } from './args';
import { loadApp } from './load-app';

const ENV = 'CELERIAC_BROKER_URL';
/** Transport options of a broker URL given to the CLI (a sentinel:// URL's master name), as JSON. */
const TRANSPORT_ENV = 'CELERIAC_BROKER_TRANSPORT_OPTIONS';

/** `brokerTransportOptions` from CELERIAC_BROKER_TRANSPORT_OPTIONS, when set and `current` names no master. */
function transportFromEnv(current: SettingsInput['brokerTransportOptions'] = {}): SettingsInput {
  const raw = process.env[TRANSPORT_ENV];
  if (!raw || current.masterName) return {};
  return settingsFromEnv('CELERIAC', { [TRANSPORT_ENV]: raw });
}

/**
 * NOTE: every command is a process of its own, so a memory:// broker there only sees what that process sent:
 * a worker would wait for tasks nobody else can send, `call` would send into a queue that dies with it.
 * It is refused with what to set instead of misleading silently.
 */
function refuseMemory(command: string, url: string): never {
  throw new ConfigurationError(
    `celeriac ${command}: the broker is ${redactUrl(url)}, which lives inside this one process, so nothing sent from ` +
      `another process reaches it (and nothing sent from here outlives it). Set the broker: -b redis://127.0.0.1:6379/0, ` +
      `the ${ENV} environment variable, or the app's brokerUrl setting.`,
  );
}

/** Where results go when they would stay inside this process (a memory:// backend beside a real broker), else null. */
export function memoryBackend(app: Celeriac): string | null {
  const url = app.settings.resultBackend;
  return url !== null && url.startsWith('memory:') ? redactUrl(url) : null;
}

export async function appFor(flags: Flags, command: string): Promise<Celeriac> {
  const fromEnv = process.env[ENV] || undefined;
  if (!flags.app) {
    const url = flags.broker ?? fromEnv;
    if (!url) throw new CeleriacError('Give the app with -A <module> (or a broker URL with -b)');
    const app = createApp('celeriac-cli', { broker: url, ...transportFromEnv() });
    if (app.settings.brokerUrl.startsWith('memory:')) refuseMemory(command, url);
    return app;
  }
  const app = await loadApp(flags.app);
  // NOTE: -b overrides the module's broker (as Celery's -b); the environment only replaces memory://, which the
  // CLI cannot use anyway, so an app that chose its broker keeps it.
  const override = flags.broker ?? (app.settings.brokerUrl.startsWith('memory:') ? fromEnv : undefined);
  if (override && override !== app.settings.brokerUrl) {
    try {
      app.configure({ brokerUrl: override, ...transportFromEnv(app.settings.brokerTransportOptions) });
    } catch (err) {
      if (!(err instanceof ConfigurationError) || !err.message.includes('after the app has connected')) throw err;
      throw new ConfigurationError(
        `-A ${flags.app}: the app connected to ${redactUrl(app.settings.brokerUrl)} while its module loaded, so the broker cannot be changed to ${redactUrl(override)}; set brokerUrl in the module (or do not send tasks at import time)`,
      );
    }
  }
  if (app.settings.brokerUrl.startsWith('memory:')) refuseMemory(command, app.settings.brokerUrl);
  return app;
}
