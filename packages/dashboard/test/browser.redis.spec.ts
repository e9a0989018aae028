// The dashboard in a real Chromium (Debian's /usr/bin/chromium, driven by playwright-core) while tasks run: a task
// appears live, is found by an argument value, is revoked from its page; a dead letter is redriven; read-only mode
// hides the actions; a wrong token is refused. DASHBOARD_SCREENSHOT=<file.png> also saves the screenshot the README shows.
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/chromium';
import { startEnv, until, type Env } from './support/env';

jest.setTimeout(60_000);

let env: Env;
let browser: Browser;

beforeAll(async () => {
  env = await startEnv('browser');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await env?.close();
});

it('shows a task live, finds it by an argument value, and revokes another from its page', async () => {
  const { base } = await env.dashboard();
  const page = await browser.newPage({ viewport: { width: 1280, height: 640 } });
  await page.goto(base);
  await page.waitForFunction(() => document.getElementById('live')?.textContent === 'live');
  await page.waitForSelector('#workers td:text("browser@test")');

  // Live: sent after the page loaded, it appears without a reload.
  const slow = await env.app.sendTask('shop.slow', [1_500]);
  await page.waitForSelector(`tr[data-id="${slow.id}"] .state.STARTED`, { timeout: 10_000 });
  await page.waitForSelector(`tr[data-id="${slow.id}"] .state.SUCCESS`, { timeout: 10_000 });

  const others = await Promise.all([1, 2, 3].map((i) => env.app.sendTask('shop.order', [`someone${i}@example.com`, i])));
  const wanted = await env.app.sendTask('shop.order', ['ada.lovelace@example.com', 1815]);
  await Promise.all([...others, wanted].map((r) => r.get({ timeout: 5_000 })));
  await page.waitForSelector(`tr[data-id="${wanted.id}"]`);
  await page.fill('#search', 'ada.lovelace');
  await page.click('#apply');
  await page.waitForFunction((id) => {
    const rows = [...document.querySelectorAll('#tasks tbody tr')];
    return rows.length === 1 && rows[0]!.getAttribute('data-id') === id;
  }, wanted.id);

  const shot = process.env.DASHBOARD_SCREENSHOT || undefined;
  const later = await env.app.sendTask('shop.order', ['revoke-me', 0], { countdown: 2_500 });
  await page.fill('#search', '');
  await page.click('#apply');
  await page.waitForSelector(`tr[data-id="${later.id}"]`, { timeout: 10_000 });
  if (shot) await page.screenshot({ path: shot });
  await page.click(`tr[data-id="${later.id}"]`);
  await page.waitForSelector('#detail #revoke');
  await page.click('#detail #revoke');
  await page.waitForFunction(() => /^revoke: /.test(document.getElementById('message')?.textContent ?? ''));
  await expect(later.get({ timeout: 10_000 })).rejects.toThrow(/revoked/i);
  await page.waitForSelector('#detail-state.REVOKED', { timeout: 10_000 });
  await page.close();
});

it('redrives a dead letter from the page, and it then runs', async () => {
  const { base } = await env.dashboard();
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(base);
  await page.waitForFunction(() => document.getElementById('live')?.textContent === 'live');
  const sent = await env.app.sendTask('shop.reject_once', ['browser-order']);
  // NOTE: the list reloads when the overview (pushed every 2 s) shows a new dead-letter count.
  await page.waitForSelector(`#dead tr[data-id="${sent.id}"] button.redrive`, { timeout: 10_000 });
  expect(await page.textContent(`#dead tr[data-id="${sent.id}"]`)).toContain('stock for browser-order not counted yet');
  await page.click(`#dead tr[data-id="${sent.id}"] button.redrive`);
  await page.waitForFunction((id) => document.getElementById('message')?.textContent === `redrive: ${id}`, sent.id);
  expect(await sent.get({ timeout: 5_000 })).toBe('shipped browser-order');
  await page.waitForSelector(`#dead tr[data-id="${sent.id}"]`, { state: 'detached', timeout: 5_000 });
  await page.close();
});

it('read-only mode hides the actions', async () => {
  const { base } = await env.dashboard({ readOnly: true });
  const r = await env.app.sendTask('shop.order', ['read-only', 1]);
  await r.get({ timeout: 5_000 });
  const page = await browser.newPage();
  await until(async () => (await (await fetch(new URL(`api/tasks/${r.id}`, base))).json() as { task?: unknown }).task);
  await page.goto(`${base}#task/${r.id}`);
  await page.waitForSelector('#detail h2');
  expect(await page.textContent('header')).toContain('read-only');
  expect(await page.$$('#detail button')).toHaveLength(0);
  const dead = await env.app.sendTask('shop.reject_once', ['read-only-order']);
  await page.waitForSelector(`#dead tr[data-id="${dead.id}"]`, { timeout: 10_000 });
  expect(await page.$$('#dead button.redrive')).toHaveLength(0);
  expect(await page.isHidden('#redrive-all')).toBe(true);
  await page.close();
});

it('a wrong token is refused and shows nothing', async () => {
  const { base } = await env.dashboard({ token: 'right-token' });
  const ctx = await browser.newContext({ extraHTTPHeaders: { authorization: 'Bearer wrong-token' } });
  const page = await ctx.newPage();
  const res = await page.goto(base);
  expect(res?.status()).toBe(401);
  const text = await page.textContent('body');
  expect(text).toContain('not allowed: wrong credentials');
  expect(text).not.toContain('shop.');
  await ctx.close();
  const ok = await browser.newContext({ extraHTTPHeaders: { authorization: 'Bearer right-token' } });
  const good = await ok.newPage();
  expect((await good.goto(base))?.status()).toBe(200);
  await good.waitForFunction(() => document.getElementById('live')?.textContent === 'live');
  await ok.close();
});
