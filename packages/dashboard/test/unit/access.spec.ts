// Access rules of the dashboard, request by request: loopback only with no credentials configured; the token
// (header, ?token= on the page, cookie) or basic auth otherwise.
import type { IncomingMessage } from 'node:http';
import { checkAccess } from '../../src/auth';

const req = (remoteAddress: string, headers: Record<string, string> = {}) => ({ socket: { remoteAddress }, headers }) as unknown as IncomingMessage;

describe('checkAccess', () => {
  it('with nothing configured serves this machine only', () => {
    expect(checkAccess(req('127.0.0.1'), {})).toEqual({ ok: true });
    expect(checkAccess(req('::1'), {})).toEqual({ ok: true });
    expect(checkAccess(req('::ffff:127.0.0.1'), {})).toEqual({ ok: true });
    expect(checkAccess(req('203.0.113.9'), {})).toMatchObject({ ok: false, status: 403, reason: expect.stringContaining('serves this machine only') });
  });

  it('with nothing configured, a request a proxy forwarded is refused even from loopback', () => {
    for (const h of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
      expect(checkAccess(req('127.0.0.1', { [h]: '127.0.0.1' }), {})).toMatchObject({ ok: false, status: 403, reason: expect.stringContaining(`came through a proxy: ${h}`) });
    }
    // NOTE: with a token, forwarding does not matter.
    expect(checkAccess(req('127.0.0.1', { 'x-forwarded-for': '203.0.113.9', authorization: 'Bearer t' }), { token: 't' })).toEqual({ ok: true });
  });

  it('with a token configured, loopback is not enough', () => {
    expect(checkAccess(req('127.0.0.1'), { token: 't' })).toMatchObject({ ok: false, status: 401, reason: 'credentials required' });
    expect(checkAccess(req('203.0.113.9', { authorization: 'Bearer t' }), { token: 't' })).toEqual({ ok: true });
    expect(checkAccess(req('203.0.113.9', { authorization: 'Bearer tt' }), { token: 't' })).toMatchObject({ ok: false, reason: 'wrong credentials' });
    expect(checkAccess(req('203.0.113.9', { cookie: 'a=b; celeriac_dashboard=t' }), { token: 't' })).toEqual({ ok: true });
    expect(checkAccess(req('203.0.113.9'), { token: 't' }, 't')).toEqual({ ok: true });
  });

  it('basic auth checks both parts', () => {
    const basic = (s: string) => ({ authorization: `Basic ${Buffer.from(s).toString('base64')}` });
    const o = { basicAuth: { username: 'u', password: 'p:w' } };
    expect(checkAccess(req('203.0.113.9', basic('u:p:w')), o)).toEqual({ ok: true });
    expect(checkAccess(req('203.0.113.9', basic('u:p')), o)).toMatchObject({ ok: false, status: 401, challenge: expect.stringContaining('Basic') });
    expect(checkAccess(req('203.0.113.9', basic('x:p:w')), o)).toMatchObject({ ok: false });
  });
});
