// The demo shop's end-to-end suite, run once per entry point (nest, fastify, express): the built JS started with
// `node` as child processes, a real Chromium (playwright-core, Debian's /usr/bin/chromium), a real redis-server
// on a free port for the two-process run, and a second SMTP server on loopback for SMTP_URL.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { freePort, startRedis, type RedisServer } from '../../../../packages/core/test/support/redis-server';
import { launchChromium } from '../../../../packages/dashboard/test/support/chromium';

const DIST = join(__dirname, '../../dist');
export const OUTPUT = join(__dirname, '../../test-output');

interface Child {
  proc: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeout?: number): Promise<RegExpMatchArray>;
  exited: Promise<unknown>;
  alive(): boolean;
}

function start(entry: string, env: Record<string, string>): Child {
  const clean = { ...process.env };
  for (const k of Object.keys(clean)) if (k.startsWith('CELERIAC_') || k.startsWith('DEMO_') || k === 'SMTP_URL' || k === 'PORT') delete clean[k];
  const proc = spawn(process.execPath, [join(DIST, `${entry}.js`)], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  return {
    proc,
    output: () => out,
    exited,
    alive,
    async waitFor(pattern, timeout = 30_000) {
      const deadline = Date.now() + timeout;
      for (;;) {
        const m = out.match(pattern);
        if (m) return m;
        if (!alive()) throw new Error(`${entry} exited before printing ${pattern}:\n${out}`);
        if (Date.now() > deadline) throw new Error(`${entry}: no ${pattern} within ${timeout} ms:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

async function stop(child: Child | undefined): Promise<void> {
  if (!child?.alive()) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), 15_000);
  await child.exited;
  clearTimeout(timer);
}

/** Starts an entry point and waits for its URL; answers the loopback base URL. */
async function startShop(entry: string, env: Record<string, string>): Promise<{ child: Child; base: string }> {
  const child = start(entry, env);
  const [, port] = await child.waitFor(/on http:\/\/localhost:(\d+)/);
  return { child, base: `http://127.0.0.1:${port}` };
}

/** A second SMTP server (what SMTP_URL points at): keeps each mail's envelope and raw text. */
async function startMailSink(): Promise<{ url: string; mails: { to: string[]; raw: string }[]; close(): Promise<void> }> {
  const mails: { to: string[]; raw: string }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString()));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { url: `smtp://127.0.0.1:${port}`, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeout = 20_000): Promise<T> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeout} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Fills and submits the form; answers the states the page showed, once one is final. */
async function register(page: Page, user: { email: string; username: string; password?: string }): Promise<string[]> {
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=username]', user.username);
  await page.fill('input[name=password]', user.password ?? 'correct horse');
  await page.click('button[type=submit]');
  await page.waitForSelector('#states li.SUCCESS, #states li.FAILURE', { timeout: 30_000 });
  return page.$$eval('#states li .state', (els) => els.map((e) => e.textContent ?? ''));
}

async function errorShown(page: Page, user: { email: string; username: string }): Promise<string> {
  await page.fill('input[name=email]', user.email);
  await page.fill('input[name=username]', user.username);
  await page.fill('input[name=password]', 'correct horse');
  await page.click('button[type=submit]');
  await page.waitForSelector('#message.error', { timeout: 10_000 });
  return (await page.textContent('#message')) ?? '';
}

/** The whole visit: register (no reload), see SUCCESS, open the mail in /outbox, follow the link, see the errors. */
async function visit(browser: Browser, base: string, name: string, shots: string): Promise<void> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
  try {
    await page.goto(`${base}/`);
    expect(await page.title()).toContain('Celeriac Greengrocer');
    await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
    const email = `${name}@example.com`;
    const states = await register(page, { email, username: name });
    expect(states.at(-1)).toBe('SUCCESS');
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(await page.textContent('#states li.SUCCESS')).toContain(`sent to ${email}`);
    await page.screenshot({ path: `${shots}-registered.png` });

    await page.goto(`${base}/outbox`);
    const mail = page.locator('article.mail', { has: page.locator('.to', { hasText: email }) });
    await mail.waitFor({ timeout: 10_000 });
    expect(await mail.locator('.subject').textContent()).toContain(`Welcome to Celeriac Greengrocer, ${name}`);
    await page.screenshot({ path: `${shots}-outbox.png` });
    await mail.locator('a[href*="/activate/"]').click();
    await page.waitForSelector('#result');
    expect(await page.textContent('#result')).toBe('Account activated');
    expect(await page.textContent('#username')).toBe(name);
    await page.screenshot({ path: `${shots}-activated.png` });

    await page.goto(`${base}/`);
    expect(await errorShown(page, { email: 'not-an-address', username: `${name}-2` })).toMatch(/not a valid e-mail address/);
    expect(await errorShown(page, { email: `other-${name}@example.com`, username: name })).toMatch(/username "[^"]+" is taken/);
    await page.screenshot({ path: `${shots}-errors.png` });
  } finally {
    await page.close();
  }
}

const post = (base: string, body: string) => fetch(`${base}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

export function describeShop(framework: 'nest' | 'fastify' | 'express'): void {
  const entry = `main-${framework}`;
  let browser: Browser;
  let redis: RedisServer;
  const children: Child[] = [];
  const launch = async (e: string, env: Record<string, string>) => {
    const s = await startShop(e, env);
    children.push(s.child);
    return s;
  };

  jest.setTimeout(60_000);
  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true });
    [browser, redis] = await Promise.all([launchChromium(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all(children.map(stop));
    await browser?.close();
    await redis?.stop();
  });

  describe('on memory://, one process', () => {
    let base: string;
    let child: Child;
    beforeAll(async () => {
      ({ base, child } = await launch(entry, { PORT: '0' }));
      expect(child.output()).toContain('tasks run in this process (memory://)');
    });

    test('the page: register, SUCCESS without a reload, the mail in /outbox, its link activates, errors shown', async () => {
      await visit(browser, base, `ann-${framework}`, join(OUTPUT, `${framework}-memory`));
    });

    test('bad input never crashes it: malformed JSON 400, 1 MB 413, missing fields 400, unknown and malformed task ids', async () => {
      const bad = await post(base, '{"email": ');
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { message: string }).message).toMatch(/JSON/);
      const big = await post(base, JSON.stringify({ email: 'x@example.com', username: 'big', password: 'x'.repeat(1_000_000) }));
      expect(big.status).toBe(413);
      expect(((await big.json()) as { message: string }).message).toMatch(/larger than 16 KiB/);
      for (const [body, message] of [
        ['{}', /email is missing/],
        ['[]', /JSON object/],
        ['"text"', /JSON/],
        [JSON.stringify({ email: 'a@example.com', username: 'al', password: 'long enough' }), /username must be 3 to 32/],
        [JSON.stringify({ email: 'a@example.com', username: 'alice', password: 'short' }), /password must be 8/],
        [JSON.stringify({ email: 42, username: 'alice', password: 'long enough' }), /email must be text/],
      ] as const) {
        const res = await post(base, body);
        expect([res.status, ((await res.json()) as { message: string }).message]).toEqual([400, expect.stringMatching(message)]);
      }
      const unknown = await fetch(`${base}/tasks/00000000-0000-4000-8000-000000000000`);
      expect(unknown.status).toBe(200);
      expect(await unknown.json()).toEqual({ task_id: '00000000-0000-4000-8000-000000000000', state: 'PENDING', ready: false });
      const malformed = await fetch(`${base}/tasks/${encodeURIComponent('no such id!')}`);
      expect(malformed.status).toBe(400);
      // The event stream of an unknown id says PENDING first, and the server lets the browser go.
      const abort = new AbortController();
      const events = await fetch(`${base}/tasks/00000000-0000-4000-8000-000000000001/events`, { signal: abort.signal });
      expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const reader = events.body!.getReader();
      let text = '';
      while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toMatch(/event: status\n(id: .*\n)?data: \{"task_id":"00000000-0000-4000-8000-000000000001","state":"PENDING"/);
      abort.abort();
      expect((await fetch(`${base}/activate/not-a-token`)).status).toBe(404);
      // Still up, and still registering.
      expect(child.alive()).toBe(true);
      expect((await fetch(`${base}/`)).status).toBe(200);
      const ok = await post(base, JSON.stringify({ email: `bo-${framework}@example.com`, username: `bo-${framework}`, password: 'long enough' }));
      expect(ok.status).toBe(202);
      expect(await ok.json()).toEqual({ status: 'successful', task_id: expect.any(String), status_url: expect.stringMatching(/^\/tasks\//) });
    });
  });

  describe('the periodic clean-up (beat in the web process): DEMO_UNACTIVATED_TTL=1, DEMO_CLEANUP_EVERY=1', () => {
    test('a registration not activated in time is removed: its username is free again and its link has expired', async () => {
      const { base } = await launch(entry, { PORT: '0', DEMO_UNACTIVATED_TTL: '1', DEMO_CLEANUP_EVERY: '1' });
      const user = { email: `late-${framework}@example.com`, username: `late-${framework}`, password: 'long enough' };
      expect((await post(base, JSON.stringify(user))).status).toBe(202);
      const link = await until('the activation mail', async () => {
        const { mails } = (await (await fetch(`${base}/outbox.json`)).json()) as { mails: { to: string[]; text: string }[] };
        return mails.find((m) => m.to.includes(user.email))?.text.match(/https?:\/\/\S+\/activate\/\S+/)?.[0];
      });
      // Beat sends the clean-up every second; the user goes once a run sees it older than a second.
      await until('the username free again', async () => ((await post(base, JSON.stringify(user))).status === 202 ? true : undefined), 20_000);
      expect((await fetch(link.replace(/^https?:\/\/[^/]+/, base))).status).toBe(404);
    });
  });

  describe('on Redis, the worker in its own process', () => {
    let base: string;
    beforeAll(async () => {
      const [port, smtpPort] = await Promise.all([freePort(), freePort()]);
      const env = { CELERIAC_BROKER_URL: redis.url(3), PORT: String(port), DEMO_SMTP_PORT: String(smtpPort) };
      const web = await launch(entry, env);
      base = web.base;
      expect(web.child.output()).toContain('run `npm run worker`');
      const worker = start('worker', env);
      children.push(worker);
      await worker.waitFor(/worker ready/);
    });

    test('the page works the same; the mail, sent by the worker process, reaches the web process\' /outbox', async () => {
      await visit(browser, base, `cy-${framework}`, join(OUTPUT, `${framework}-redis`));
    });
  });

  describe('DEMO_SMTP_FAIL_FIRST=2 and SMTP_URL to another SMTP server', () => {
    test('the page shows RETRY (with the reason) before SUCCESS; the other server receives the mail; its link activates', async () => {
      const sink = await startMailSink();
      try {
        const { base } = await launch(entry, { PORT: '0', SMTP_URL: sink.url, DEMO_SMTP_FAIL_FIRST: '2' });
        const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
        await page.goto(`${base}/`);
        const name = `di-${framework}`;
        const states = await register(page, { email: `${name}@example.com`, username: name });
        const retry = states.indexOf('RETRY');
        expect(retry).toBeGreaterThanOrEqual(0);
        expect(states.indexOf('SUCCESS')).toBeGreaterThan(retry);
        expect(await page.textContent('#states li.RETRY')).toMatch(/SmtpError: .*DEMO_SMTP_FAIL_FIRST=2/);
        expect(await page.textContent('#states li.SUCCESS')).toContain('(attempt 3)');
        await page.screenshot({ path: join(OUTPUT, `${framework}-retry.png`), fullPage: true });
        const mail = await until('the mail at SMTP_URL', () => sink.mails.find((m) => m.to.includes(`${name}@example.com`)));
        await page.goto(`${base}/outbox`);
        expect(await page.textContent('main')).toMatch(/nothing is caught here/);
        const link = mail.raw.replace(/=\r\n/g, '').match(/http:\/\/localhost:\d+\/activate\/[\w-]+/)![0];
        await page.goto(link.replace('localhost', '127.0.0.1'));
        expect(await page.textContent('#result')).toBe('Account activated');
        await page.close();
      } finally {
        await sink.close();
      }
    });
  });
}
