// Who may see the dashboard: with a bearer token or basic-auth credentials configured, only requests carrying
// them (header, or the cookie set by `?token=`); with none configured, only requests from this machine. The
// page, the API, the live stream and /metrics are all behind the same check: nothing is revealed before it.
// "From this machine" is the TCP peer's address (never a framework's idea of the client, such as Express's
// `trust proxy` or Fastify's `trustProxy`), and a request that a proxy forwarded (Forwarded, X-Forwarded-For,
// X-Real-IP) does not count: a reverse proxy on this machine would otherwise open the dashboard to whoever it serves.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface AccessOptions {
  /** Bearer token: `Authorization: Bearer <token>` (or open `<dashboard>/?token=<token>` once in a browser). */
  token?: string;
  /** Basic auth credentials (the browser asks for them). */
  basicAuth?: { username: string; password: string };
}

export const TOKEN_COOKIE = 'celeriac_dashboard';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const FORWARDED = ['forwarded', 'x-forwarded-for', 'x-real-ip'];

/** Compares secrets in constant time (hashes first, so lengths do not leak either). */
function same(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export function cookieToken(req: IncomingMessage): string | undefined {
  const raw = req.headers.cookie;
  if (!raw) return undefined;
  for (const part of raw.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

export type AccessResult = { ok: true } | { ok: false; status: 401 | 403; reason: string; challenge?: string };

/** `queryToken`: the `?token=` of the page's address (accepted there only, to set the cookie). */
export function checkAccess(req: IncomingMessage, o: AccessOptions, queryToken?: string): AccessResult {
  if (!o.token && !o.basicAuth) {
    const addr = req.socket.remoteAddress ?? '';
    const proxied = FORWARDED.find((h) => req.headers[h] !== undefined);
    if (LOOPBACK.has(addr) && !proxied) return { ok: true };
    const why = proxied ? ` (this request came through a proxy: ${proxied})` : '';
    return { ok: false, status: 403, reason: `this dashboard has no token or basic auth configured, so it serves this machine only${why}` };
  }
  const header = req.headers.authorization ?? '';
  if (o.token) {
    const m = /^Bearer\s+(.+)$/i.exec(header);
    const given = m?.[1] ?? queryToken ?? cookieToken(req);
    if (given !== undefined && same(given, o.token)) return { ok: true };
  }
  if (o.basicAuth) {
    const m = /^Basic\s+(.+)$/i.exec(header);
    if (m) {
      const text = Buffer.from(m[1]!, 'base64').toString('utf8');
      const i = text.indexOf(':');
      if (i >= 0 && same(text.slice(0, i), o.basicAuth.username) && same(text.slice(i + 1), o.basicAuth.password)) return { ok: true };
    }
  }
  return {
    ok: false,
    status: 401,
    reason: header || queryToken || cookieToken(req) ? 'wrong credentials' : 'credentials required',
    ...(o.basicAuth ? { challenge: 'Basic realm="celeriac dashboard", charset="UTF-8"' } : {}),
  };
}
