// Browser tests: a shopper on a phone goes from the home feed to a paid pickup order,
// and a clerk verifies the pickup code and completes it; another shopper scans a store's
// display card, buys, and the order is credited to that store. Runs `sweep serve --demo`
// on a fresh data directory and drives Debian's Chromium through playwright-core.
//
//   node e2e/run.mjs            (SWEEP_BIN defaults to target/debug/sweep)

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = process.env.SWEEP_BIN || join(root, 'target', 'debug', 'sweep');
const artifacts = join(root, 'e2e', 'artifacts');
mkdirSync(artifacts, { recursive: true });

const PHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47';

function freePort() {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

async function startSweep() {
  const dir = mkdtempSync(join(tmpdir(), 'sweep-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const proc = spawn(bin, ['serve', '--demo', '--addr', `127.0.0.1:${port}`, '--data-dir', join(dir, 'data')], {
    cwd: dir, env: { ...process.env, SWEEP_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${base}/readyz`)).ok) return { proc, base, dir }; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 200));
  }
  proc.kill('SIGKILL');
  throw new Error('sweep did not start');
}

async function phone(browser, width = 390) {
  const context = await browser.newContext({ viewport: { width, height: 844 }, userAgent: PHONE_UA, locale: 'zh-CN', isMobile: true, hasTouch: true });
  return context.newPage();
}

async function noHorizontalScroll(page, what) {
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(scroll <= client + 1, `${what}: the page is ${scroll}px wide on a ${client}px screen`);
}

async function shopperBuysForPickup(browser, base) {
  const page = await phone(browser);
  await page.goto(`${base}/s/yunmian`);
  await noHorizontalScroll(page, 'home');
  await page.screenshot({ path: join(artifacts, '1-home.png') });
  // Browse: the first banner leads to the flagship bedding set.
  await page.locator('.banners a').first().click();
  await page.waitForURL(/\/p\//);
  await noHorizontalScroll(page, 'product');
  const price = await page.locator('.variant .price').first().innerText();
  assert.match(price, /¥\d+\.\d\d/);
  await page.screenshot({ path: join(artifacts, '2-product.png') });
  await page.getByRole('button', { name: /立即购买/ }).click();

  // Checkout needs a member: sign in with a code from the SMS outbox.
  await page.waitForURL(/\/login/);
  await page.locator('input[name=phone]').fill('13800138000');
  await page.locator('#send-code').click();
  const outbox = await browser.newPage();
  await outbox.goto(`${base}/dev/sms`);
  const text = await outbox.locator('#messages li').first().innerText();
  const code = text.match(/验证码 (\d{6})/)[1];
  await outbox.close();
  await page.locator('input[name=code]').fill(code);
  await page.locator('#sign-in').click();

  // Pick up at Hubin Intime, where the flagship line is always stocked.
  await page.waitForURL(/\/checkout/);
  await noHorizontalScroll(page, 'checkout');
  await page.locator('label.choice', { hasText: '湖滨银泰店' }).click();
  await page.screenshot({ path: join(artifacts, '3-checkout.png') });
  await page.locator('#place-order').click();
  await page.waitForURL(/\/orders\//);
  assert.equal(await page.locator('#status').innerText(), '待支付');

  // Pay in the sandbox cashier; the order turns paid when the notification arrives.
  await page.locator('#pay').click();
  await page.waitForURL(/\/sandbox\/pay\//);
  await page.locator('#pay').click();
  await page.waitForURL(/\/orders\//);
  const pickup = page.locator('#pickup-code');
  for (let i = 0; i < 30 && !(await pickup.count()); i++) {
    await page.waitForTimeout(500);
    await page.reload();
  }
  const pickupCode = (await pickup.innerText()).trim();
  assert.match(pickupCode, /^\d{10}$/);
  assert.equal(await page.locator('#status').innerText(), '已支付');
  await noHorizontalScroll(page, 'order');
  await page.screenshot({ path: join(artifacts, '4-paid.png') });
  return { page, pickupCode };
}

async function clerkHandsOver(browser, base, pickupCode) {
  const page = await phone(browser, 360);
  await page.goto(`${base}/login?next=clerk`);
  await page.locator('#login').fill('hubin.clerk@yunmian.demo');
  await page.locator('#password').fill('sweep-demo-2026');
  await page.getByRole('button', { name: /登录/ }).click();
  await page.waitForURL(/\/clerk/);
  await noHorizontalScroll(page, 'counter');
  // A wrong code is refused, and says so.
  await page.locator('#code').fill('0000000000');
  await page.locator('#lookup').click();
  assert.match(await page.locator('#flash').innerText(), /找不到/);
  // The scanner types the code and presses Enter.
  await page.locator('#code').fill(pickupCode);
  await page.locator('#code').press('Enter');
  await page.locator('#order').waitFor();
  await page.screenshot({ path: join(artifacts, '5-counter.png') });
  await page.locator('#ready').click();
  assert.match(await page.locator('#flash').innerText(), /已备货/);
  await page.locator('#code').fill(pickupCode);
  await page.locator('#lookup').click();
  await page.locator('#hand-over').click();
  assert.match(await page.locator('#flash').innerText(), /已交付/);
  // The code is spent: a second lookup finds nothing.
  await page.locator('#code').fill(pickupCode);
  await page.locator('#lookup').click();
  assert.match(await page.locator('#flash').innerText(), /找不到/);
}

/// Head office, through the API: a session cookie and its CSRF token.
async function signInStaff(base, login) {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login, password: 'sweep-demo-2026' }),
  });
  assert.equal(r.status, 200);
  const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const get = async (path) => {
    const res = await fetch(`${base}${path}`, { headers: { cookie } });
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    return res;
  };
  return { get, json: async (path) => (await get(path)).json() };
}

async function shopperScansACard(browser, base) {
  // Head office prints Hubin's Double 11 cards; a phone scans the first one.
  const owner = await signInStaff(base, 'owner@yunmian.demo');
  const stores = await owner.json('/api/v1/locations?kind=store');
  const hubin = stores.items.find((l) => l.code === 'HZ-HB');
  const sheet = await owner.get(`/api/v1/cards/sheet.pdf?store_id=${hubin.id}`);
  assert.equal(sheet.headers.get('content-type'), 'application/pdf');
  assert.equal(Buffer.from(await sheet.arrayBuffer()).subarray(0, 5).toString(), '%PDF-');
  const cards = await owner.json(`/api/v1/cards?store_id=${hubin.id}`);
  const card = await owner.json(`/api/v1/cards/${cards.items[0].id}`);
  assert.equal(card.url, `${base}/c/${card.card.code}`);

  // The phone is in Binjiang, across the river, when it asks for nearby stores.
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 }, userAgent: PHONE_UA, locale: 'zh-CN', isMobile: true, hasTouch: true,
    geolocation: { latitude: 30.2097, longitude: 120.2118 }, permissions: ['geolocation'],
  });
  const page = await context.newPage();
  await page.goto(card.url);
  await page.waitForURL(/\/p\//);
  await noHorizontalScroll(page, 'scanned product');
  assert.match(await page.locator('#here').innerText(), /湖滨银泰店/);
  assert.match(await page.locator('#nearby li').first().innerText(), /湖滨银泰店/, 'nearest to the store the phone stands in');
  await page.locator('#here').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, '7-scanned.png') });
  await page.locator('[data-locate-nearby]').click();
  await page.waitForFunction(() => /滨江龙湖天街店/.test(document.querySelector('#nearby li')?.innerText || ''));
  await page.locator('#nearby').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(artifacts, '8-nearby.png') });
  // Choosing a city re-lists the stores from there (the select submits itself).
  await page.locator('select[name=city]').selectOption('上海');
  await page.waitForURL(/city=/);
  assert.equal(await page.locator('select[name=city]').inputValue(), '上海');

  // "Pick up at this counter": sign in, and checkout has Hubin chosen.
  await page.locator('#pick-up-here').click();
  await page.waitForURL(/\/login/);
  await page.locator('input[name=phone]').fill('13900139000');
  await page.locator('#send-code').click();
  const outbox = await browser.newPage();
  await outbox.goto(`${base}/dev/sms`);
  const text = await outbox.locator('#messages li', { hasText: '13900139000' }).first().innerText();
  await outbox.close();
  await page.locator('input[name=code]').fill(text.match(/验证码 (\d{6})/)[1]);
  await page.locator('#sign-in').click();
  await page.waitForURL(/\/checkout/);
  assert.match(await page.locator('label.choice:has(input:checked)').innerText(), /湖滨银泰店/);
  await page.locator('#place-order').click();
  await page.waitForURL(/\/orders\//);
  const orderId = page.url().split('/orders/')[1];

  // Head office sees the order credited to Hubin and its clerk, in the Double 11 campaign.
  const order = await owner.json(`/api/v1/orders/${orderId}`);
  assert.equal(order.influencer_store_id, hubin.id);
  assert.equal(order.influencer_clerk_id, card.card.clerk_id);
  assert.equal(order.card_id, card.card.id);
  assert.equal(order.channel, 'wechat');

  // Paid, it reaches Hubin's counter, marked as sold through the store's own card.
  await page.locator('#pay').click();
  await page.waitForURL(/\/sandbox\/pay\//);
  await page.locator('#pay').click();
  await page.waitForURL(/\/orders\//);
  const pickup = page.locator('#pickup-code');
  for (let i = 0; i < 30 && !(await pickup.count()); i++) {
    await page.waitForTimeout(500);
    await page.reload();
  }
  const code = (await pickup.innerText()).trim();
  await context.close();
  const counter = await phone(browser, 360);
  // The counter phone's camera, as Chrome on Android gives it: a video stream and a
  // BarcodeDetector that reads the shopper's QR code.
  await counter.addInitScript((pickupCode) => {
    window.BarcodeDetector = class { async detect() { return [{ rawValue: pickupCode }]; } };
    const camera = async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 64;
      canvas.getContext('2d').fillRect(0, 0, 64, 64);
      return canvas.captureStream();
    };
    if (!navigator.mediaDevices) { Object.defineProperty(navigator, 'mediaDevices', { value: {} }); }
    navigator.mediaDevices.getUserMedia = camera;
  }, code);
  await counter.goto(`${base}/login?next=clerk`);
  await counter.locator('#login').fill('hubin.clerk@yunmian.demo');
  await counter.locator('#password').fill('sweep-demo-2026');
  await counter.getByRole('button', { name: /登录/ }).click();
  await counter.waitForURL(/\/clerk/);
  await counter.locator('#scan').click();
  await counter.locator('#credited').waitFor();
  await counter.screenshot({ path: join(artifacts, '9-credited.png') });
  await counter.context().close();
}

const sweep = await startSweep();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const { page, pickupCode } = await shopperBuysForPickup(browser, sweep.base);
  console.log("ok - shopper paid a pickup order and sees its pickup code");
  await clerkHandsOver(browser, sweep.base, pickupCode);
  console.log('ok - clerk verified the code and handed the order over');
  await page.reload();
  assert.equal(await page.locator('#status').innerText(), '已完成');
  await page.screenshot({ path: join(artifacts, '6-completed.png') });
  console.log('ok - the shopper sees the order completed');
  await shopperScansACard(browser, sweep.base);
  console.log('ok - a scanned display card opens its store, and the order is credited to it');
} catch (e) {
  failed = true;
  console.error('not ok -', e);
} finally {
  await browser.close();
  sweep.proc.kill('SIGTERM');
  rmSync(sweep.dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
