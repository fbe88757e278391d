// Shared helpers for the browser tests: Debian's Chromium driven by
// playwright-core (never a downloaded browser), one fresh profile per
// browser, unique users, and the shop's URL from the environment.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, request } from 'playwright-core';

// SHOP_URL is the running shop under test (browser_test.go starts one).
export const BASE_URL = (process.env.SHOP_URL || '').replace(/\/$/, '');
// SHOP_ADMIN_EMAIL may create goods (the shop runs with -admin-emails).
export const ADMIN_EMAIL = process.env.SHOP_ADMIN_EMAIL || '';
export const ADMIN_PASSWORD = process.env.SHOP_ADMIN_PASSWORD || 'Admin-pass-8ce1!';
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// SCREENSHOT_DIR is where the tests leave screenshots for people to look at.
export const SCREENSHOT_DIR = join(repoRoot, 'test-results', 'screenshots');

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

// STEP bounds a single wait; TEST_TIMEOUT a whole scenario.
export const STEP = 10_000;
export const TEST_TIMEOUT = 120_000;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

if (!BASE_URL) {
  throw new Error('SHOP_URL is not set: run these tests through `go test ./test/browser/`');
}

// url resolves a path against the shop.
export function url(path) {
  return BASE_URL + path;
}

// openBrowser starts Chromium with a fresh profile (its own --user-data-dir,
// so two browsers share no cookies) and closes it when the test ends. It
// records every JavaScript dialog (and dismisses it), every uncaught page
// error and every console error (a refused Content-Security-Policy shows
// there) so tests can assert that none happened. A failed request's console
// line is left out: a signed-out page's GET /api/users/me answers 401.
export async function openBrowser(t, { viewport = DESKTOP } = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'shop-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    locale: 'ko-KR',
    timezoneId: 'Asia/Seoul',
    baseURL: BASE_URL,
  });
  context.setDefaultTimeout(STEP);
  const dialogs = [];
  const pageErrors = [];
  const consoleErrors = [];
  const watch = (page) => {
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) consoleErrors.push(msg.text());
    });
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  t.after(async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page, dialogs, pageErrors, consoleErrors };
}

// newUser returns credentials no other test uses. Nicknames are 2–20
// letters and digits; the password does not contain the nickname.
export function newUser(prefix = 'u') {
  const id = randomBytes(6).toString('hex');
  const nickname = `${prefix}${id}`.slice(0, 20);
  return { email: `${nickname}@example.com`, nickname, password: `Pw-${randomBytes(6).toString('hex')}!` };
}

// signUp registers user through the API.
export async function signUp(context, user) {
  const res = await context.request.post('/api/users', {
    data: { ...user, confirmPassword: user.password },
  });
  assert.equal(res.status(), 201, `sign-up of ${user.email}: got ${res.status()} ${await res.text()}, want 201`);
}

// logIn signs the browser in through the API; the cookie lands in the
// browser's jar, since context.request shares it.
export async function logIn(context, user) {
  const res = await context.request.post('/api/auth', {
    data: { email: user.email, password: user.password },
  });
  assert.equal(res.status(), 200, `login of ${user.email}: got ${res.status()} ${await res.text()}, want 200`);
}

// signedInBrowser opens a browser whose user is registered and signed in.
export async function signedInBrowser(t, options) {
  const browser = await openBrowser(t, options);
  const user = newUser();
  await signUp(browser.context, user);
  await logIn(browser.context, user);
  return { ...browser, user };
}

// apiUser signs a new user up and in without a browser, for a purchase
// that browsers should hear about; its requests share one cookie jar.
export async function apiUser(t) {
  const api = await request.newContext({ baseURL: BASE_URL });
  t.after(() => api.dispose());
  const user = newUser();
  await signUp({ request: api }, user);
  await logIn({ request: api }, user);
  return { request: api, user };
}

// waitLive waits until the page's socket is connected and has announced
// its page, so that broadcasts from then on reach it.
export async function waitLive(page) {
  await page.locator('html[data-live="connected"]').waitFor({ state: 'attached' });
}

// screenshot saves the page under SCREENSHOT_DIR.
export async function screenshot(page, name) {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

// toastFor is the purchase toast naming nickname.
export function toastFor(page, nickname) {
  return page.locator('#toasts .toast').filter({
    has: page.locator('.toast-nickname', { hasText: nickname }),
  });
}

// priceText renders a price as the pages do: thousands separators and 원.
export function priceText(won) {
  return `${won.toLocaleString('ko-KR')}원`;
}

// expectURL waits until the page's URL satisfies ok.
export async function expectURL(page, ok, timeout = STEP) {
  try {
    await page.waitForURL((u) => ok(new URL(u)), { timeout });
  } catch (err) {
    throw new Error(`got URL ${page.url()}, want one matching ${ok}: ${err.message}`);
  }
}

// expectText waits until locator's text content equals want.
export async function expectText(locator, want, timeout = STEP) {
  const deadline = Date.now() + timeout;
  let got;
  for (;;) {
    got = (await locator.textContent({ timeout }))?.trim();
    if (got === want) return;
    if (Date.now() > deadline) throw new Error(`got text ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// focusState describes the focused element and whether a person can see
// that it has the focus. shop.css marks :focus-visible with an outline; a
// box-shadow would not count, since goods cards wear one at rest. The
// outline must also fit inside every ancestor that clips its overflow, or
// part of it is cut away.
export function focusState(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) {
      return { what: 'nothing (body)', visible: false, why: 'no element has the focus' };
    }
    const what = `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}> ${JSON.stringify(
      (el.getAttribute('aria-label') || el.textContent || el.getAttribute('name') || '').trim().slice(0, 30))}`;
    const s = getComputedStyle(el);
    const width = parseFloat(s.outlineWidth) || 0;
    if (s.outlineStyle === 'none' || width <= 0 || s.outlineColor === 'rgba(0, 0, 0, 0)') {
      return { what, visible: false, why: `outline ${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}` };
    }
    if (!el.matches(':focus-visible')) {
      return { what, visible: false, why: 'not :focus-visible' };
    }
    // The outline reaches width + offset beyond the border box.
    const reach = Math.max(0, width + (parseFloat(s.outlineOffset) || 0));
    const r = el.getBoundingClientRect();
    const ring = { left: r.left - reach, top: r.top - reach, right: r.right + reach, bottom: r.bottom + reach };
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const as = getComputedStyle(a);
      if (as.overflowX === 'visible' && as.overflowY === 'visible') continue;
      const ar = a.getBoundingClientRect();
      const clip = {
        left: ar.left + parseFloat(as.borderLeftWidth),
        top: ar.top + parseFloat(as.borderTopWidth),
        right: ar.right - parseFloat(as.borderRightWidth),
        bottom: ar.bottom - parseFloat(as.borderBottomWidth),
      };
      const cut = (as.overflowX !== 'visible' && (ring.left < clip.left - 0.5 || ring.right > clip.right + 0.5))
        || (as.overflowY !== 'visible' && (ring.top < clip.top - 0.5 || ring.bottom > clip.bottom + 0.5));
      if (cut) {
        return { what, visible: false, why: `outline cut by <${a.tagName.toLowerCase()} class="${a.className}"> (overflow ${as.overflowX}/${as.overflowY})` };
      }
    }
    return { what, visible: true, why: `outline ${s.outlineStyle} ${s.outlineWidth}` };
  });
}

// expectVisibleFocus asserts that the focused element shows it.
export async function expectVisibleFocus(page, where = '') {
  const f = await focusState(page);
  assert.ok(f.visible, `${where}: got focus on ${f.what} without a visible indicator (${f.why}), want one`);
  return f;
}
