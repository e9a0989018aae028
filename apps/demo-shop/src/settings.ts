// The demo's settings, all from the environment (celeriac's own come from CELERIAC_*: see README "Demo shop").
export class DemoConfigError extends Error {
  override name = 'DemoConfigError';
}

export interface DemoSettings {
  /** HTTP port (PORT, default 3000; 0 picks a free one). */
  port: number;
  /** Interface to listen on (DEMO_HOST, default 127.0.0.1: loopback only; not HOST, which some shells set to the machine name). */
  host: string;
  /** Where the tasks run: memory:// (default) means in this process. */
  brokerUrl: string;
  /** True on memory://: the web process runs the worker too. */
  embeddedWorker: boolean;
  /** SMTP_URL: send through that server, catch nothing. */
  smtpUrl: string | null;
  /**
   * DEMO_SMTP_PORT: the loopback port of the embedded SMTP server (web process) and where a separate worker sends.
   * Default: 2525 when the worker may be another process (a broker other than memory://), else a free port.
   */
  smtpPort: number;
  /** DEMO_SMTP_FAIL_FIRST: the first N attempts of each e-mail fail (retries with backoff, live on the page). */
  failFirst: number;
  /** DEMO_PUBLIC_URL: the base of activation links (default http://localhost:<PORT>). */
  publicUrl: string | null;
  /** DEMO_UNACTIVATED_TTL (seconds, default 600): registrations not activated within it are removed. */
  unactivatedTtlMs: number;
  /** DEMO_CLEANUP_EVERY (seconds, default 60): how often the periodic clean-up runs. */
  cleanupEveryMs: number;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) throw new DemoConfigError(`${name} must be a whole number from 0 to ${max}, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const n = int(env, name, fallback, 86_400);
  if (n === 0) throw new DemoConfigError(`${name} must be at least 1 (seconds), got 0`);
  return n;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): DemoSettings {
  const brokerUrl = env.CELERIAC_BROKER_URL || 'memory://';
  const embeddedWorker = brokerUrl.startsWith('memory://');
  const smtpUrl = env.SMTP_URL || null;
  if (smtpUrl !== null) {
    let u: URL;
    try {
      u = new URL(smtpUrl);
    } catch {
      throw new DemoConfigError(`SMTP_URL must be smtp://[user:pass@]host[:port] or smtps://…, got ${JSON.stringify(smtpUrl)}`);
    }
    if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new DemoConfigError(`SMTP_URL must start with smtp:// or smtps://, got ${u.protocol}//`);
  }
  const publicUrl = env.DEMO_PUBLIC_URL || null;
  if (publicUrl !== null && !/^https?:\/\/[^/\s]+\/?$/.test(publicUrl)) throw new DemoConfigError(`DEMO_PUBLIC_URL must be http(s)://host[:port], got ${JSON.stringify(publicUrl)}`);
  return {
    port: int(env, 'PORT', 3000, 65535),
    host: env.DEMO_HOST || '127.0.0.1',
    brokerUrl,
    embeddedWorker,
    smtpUrl,
    smtpPort: int(env, 'DEMO_SMTP_PORT', embeddedWorker ? 0 : 2525, 65535),
    failFirst: int(env, 'DEMO_SMTP_FAIL_FIRST', 0, 10),
    publicUrl: publicUrl?.replace(/\/$/, '') ?? null,
    unactivatedTtlMs: positive(env, 'DEMO_UNACTIVATED_TTL', 600) * 1000,
    cleanupEveryMs: positive(env, 'DEMO_CLEANUP_EVERY', 60) * 1000,
  };
}
