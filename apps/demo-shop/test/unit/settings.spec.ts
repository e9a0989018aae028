// The demo's settings and mail parsing, without servers: each bad value is one clear error naming it.
import { readSettings } from '../../src/settings';
import { parseMail } from '../../src/outbox';
import { UserStore, validateRegistration } from '../../src/users';

test('defaults: port 3000 on loopback, memory:// runs the worker in the web process, SMTP on a free port', () => {
  expect(readSettings({})).toEqual({ port: 3000, host: '127.0.0.1', brokerUrl: 'memory://', embeddedWorker: true, smtpUrl: null, smtpPort: 0, failFirst: 0, publicUrl: null, unactivatedTtlMs: 600_000, cleanupEveryMs: 60_000 });
  expect(readSettings({ CELERIAC_BROKER_URL: 'redis://127.0.0.1:6379/0' })).toMatchObject({ embeddedWorker: false, smtpPort: 2525 });
  expect(readSettings({ DEMO_PUBLIC_URL: 'https://shop.example.com/' }).publicUrl).toBe('https://shop.example.com');
});

test.each([
  [{ PORT: 'abc' }, /PORT must be a whole number from 0 to 65535, got "abc"/],
  [{ PORT: '70000' }, /PORT must be a whole number/],
  [{ DEMO_SMTP_FAIL_FIRST: '-1' }, /DEMO_SMTP_FAIL_FIRST must be a whole number from 0 to 10/],
  [{ SMTP_URL: 'not a url' }, /SMTP_URL must be smtp:\/\/\[user:pass@\]host\[:port\]/],
  [{ SMTP_URL: 'http://mail.example.com' }, /SMTP_URL must start with smtp:\/\/ or smtps:\/\/, got http:\/\//],
  [{ DEMO_PUBLIC_URL: 'localhost:3000' }, /DEMO_PUBLIC_URL must be http\(s\):\/\/host\[:port\]/],
  [{ DEMO_UNACTIVATED_TTL: '0' }, /DEMO_UNACTIVATED_TTL must be at least 1 \(seconds\), got 0/],
  [{ DEMO_CLEANUP_EVERY: '1m' }, /DEMO_CLEANUP_EVERY must be a whole number from 0 to 86400, got "1m"/],
])('%j is refused', (env, message) => {
  expect(() => readSettings(env)).toThrow(message);
});

test('registration: validation messages, taken username and e-mail, activation', () => {
  expect(() => validateRegistration(null)).toThrow(/JSON object/);
  expect(() => validateRegistration({ email: 'a@b.c', username: 'ann' })).toThrow(/password is missing/);
  expect(() => validateRegistration({ email: 'ann@localhost', username: 'ann', password: '12345678' })).toThrow(/not a valid e-mail/);
  const users = new UserStore();
  const ann = users.register({ email: 'ann@example.com', username: 'Ann', password: 'correct horse' });
  expect(users.checkPassword(ann, 'correct horse')).toBe(true);
  expect(users.checkPassword(ann, 'wrong horse!')).toBe(false);
  expect(() => users.register({ email: 'x@example.com', username: 'ann', password: 'correct horse' })).toThrow(expect.objectContaining({ statusCode: 409, message: 'The username "ann" is taken.' }));
  expect(() => users.register({ email: 'ANN@example.com', username: 'ann2', password: 'correct horse' })).toThrow(expect.objectContaining({ statusCode: 409 }));
  expect(users.activate('nope')).toBeNull();
  expect(users.activate(ann.token)?.active).toBe(true);
});

test('the clean-up removes only registrations older than the TTL that were not activated', () => {
  const users = new UserStore();
  const now = Date.now();
  const old = users.register({ email: 'old@example.com', username: 'old', password: 'correct horse' });
  const activated = users.register({ email: 'act@example.com', username: 'act', password: 'correct horse' });
  users.activate(activated.token);
  users.register({ email: 'new@example.com', username: 'new', password: 'correct horse' });
  old.createdAt = activated.createdAt = new Date(now - 61_000);
  expect(users.removeUnactivated(60_000, now)).toEqual(['old']);
  expect(users.activate(old.token)).toBeNull();
  expect(users.get('act')?.active).toBe(true);
  expect(users.get('new')).toBeDefined();
  expect(users.register({ email: 'old@example.com', username: 'old', password: 'correct horse' }).username).toBe('old');
});

test('parseMail reads quoted-printable bodies and encoded subjects', () => {
  const raw = ['Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=', 'From: shop@localhost', 'Content-Transfer-Encoding: quoted-printable', '', 'a long line that was wrap=', 'ped, caf=C3=A9', ''].join('\r\n');
  expect(parseMail(raw)).toEqual({ subject: 'Grüße', from: 'shop@localhost', text: 'a long line that was wrapped, café' });
});
