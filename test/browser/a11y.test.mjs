// What makes the shop usable by more people on more screens: a visible
// keyboard focus, pages that fit a phone, and pictures with alt text.

import assert from 'node:assert/strict';
import test from 'node:test';
import {
  DESKTOP, PHONE, TEST_TIMEOUT, expectText, expectVisibleFocus, focusState, logIn, newUser, openBrowser, signUp,
} from './support.mjs';

// MAX_TABS bounds a walk through the header before the wanted field;
// MAX_STOPS a walk through a whole page.
const MAX_TABS = 25;
const MAX_STOPS = 80;

// tabTo presses Tab until the focus lands on selector, asserting at every
// stop on the way that the focus can be seen.
async function tabTo(page, selector, where) {
  const stops = [];
  for (let i = 0; i < MAX_TABS; i++) {
    await page.keyboard.press('Tab');
    const f = await expectVisibleFocus(page, `${where}, Tab ${i + 1}`);
    stops.push(f.what);
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  assert.fail(`${where}: got Tab stops ${stops.join(', ')}, want one reaching ${selector}`);
}

// tabThrough presses Tab through every stop of the page, until the focus
// leaves the page or comes back round, asserting that each one shows.
async function tabThrough(page, where) {
  await page.evaluate(() => { window.seenFocus = new WeakSet(); });
  for (let i = 0; i < MAX_STOPS; i++) {
    await page.keyboard.press('Tab');
    const again = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body || window.seenFocus.has(el)) return true;
      window.seenFocus.add(el);
      return false;
    });
    if (again) return i;
    await expectVisibleFocus(page, `${where}, Tab ${i + 1}`);
  }
  assert.fail(`${where}: got more than ${MAX_STOPS} Tab stops, want the focus to come round`);
}

// tabNext presses Tab once and asserts that selector has a visible focus.
async function tabNext(page, selector, where) {
  await page.keyboard.press('Tab');
  const f = await expectVisibleFocus(page, where);
  assert.ok(await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector),
    `${where}: got focus on ${f.what}, want ${selector}`);
}

test('the keyboard focus is visible on the login form and the goods filter, on a desktop and a phone', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, pageErrors } = await openBrowser(t);
  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    await page.setViewportSize(viewport);

    await page.goto('/');
    await page.locator('html[data-ready]').waitFor({ state: 'attached' });
    await tabTo(page, '#email', `${name} login`);
    await tabNext(page, '#password', `${name} login`);
    await tabNext(page, '#login-form button[type="submit"]', `${name} login`);

    await page.goto('/goods.html');
    await page.locator('#goods-list[data-category="all"]').waitFor({ state: 'attached' });
    await page.locator('html[data-ready]').waitFor({ state: 'attached' });
    await tabTo(page, '#filters .chip', `${name} goods`);
    for (const category of ['drink', 'food', 'goods']) {
      await tabNext(page, `#filters .chip[data-category="${category}"]`, `${name} goods`);
    }
    // Choosing a filter by keyboard keeps the focus, visibly, on it.
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Enter');
    await page.locator('#goods-list[data-category="food"]').waitFor({ state: 'attached' });
    const f = await expectVisibleFocus(page, `${name} goods after Enter`);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-pressed')), 'true',
      `${name}: got focus on ${f.what}, want the chosen filter`);
    await expectText(page.locator('#filters [aria-pressed="true"]'), '음식');
  }
  // The check itself tells a hidden focus: a mouse click shows no ring.
  await page.getByRole('button', { name: '굿즈', exact: true }).click();
  assert.equal((await focusState(page)).visible, false, 'got a focus ring after a mouse click, want none');
  assert.deepEqual(pageErrors, [], 'got page errors, want none');
});

// checkPage asserts that the page fits the viewport's width, that every
// picture has alt text (a goods picture its goods' name, the logo and other
// decoration an empty one) and that every Tab stop shows its focus.
async function checkPage(page, path, viewportName) {
  const where = `${path} on a ${viewportName}`;
  const fit = await page.evaluate(() => {
    const width = window.innerWidth;
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > width + 0.5 && e.closest('.site-nav') === null)
      .slice(0, 5)
      .map((e) => `<${e.tagName.toLowerCase()} class="${e.className}"> right=${Math.round(e.getBoundingClientRect().right)}`);
    return { scrollWidth: document.documentElement.scrollWidth, width, wide };
  });
  assert.ok(fit.scrollWidth <= fit.width,
    `${where}: got a page ${fit.scrollWidth}px wide in a ${fit.width}px window (${fit.wide.join('; ')}), want no horizontal scrolling`);

  const images = await page.locator('img').evaluateAll((imgs) => imgs.map((img) => {
    // A goods picture's alt text is the goods name shown beside it.
    const name = img.closest('.goods-card, .line-item, .detail')
      ?.querySelector('.goods-card h2, .line-item .name, #goods-name')?.textContent.trim() ?? null;
    return {
      src: new URL(img.src, location.href).pathname,
      alt: img.getAttribute('alt'),
      name,
      decorative: img.closest('.brand') !== null || img.closest('#order-done') !== null,
    };
  }));
  for (const img of images) {
    assert.notEqual(img.alt, null, `${where}: got <img src="${img.src}"> without alt, want one`);
    if (img.src.startsWith('/images/goods/')) {
      assert.notEqual(img.name, null, `${where}: got goods picture ${img.src} with no goods name beside it`);
      assert.equal(img.alt, img.name, `${where}: got alt ${JSON.stringify(img.alt)} on ${img.src}, want the goods name`);
    } else if (img.decorative) {
      assert.equal(img.alt, '', `${where}: got alt ${JSON.stringify(img.alt)} on decoration ${img.src}, want ""`);
    } else {
      assert.ok(img.alt.trim() !== '', `${where}: got an empty alt on ${img.src}, want a description`);
    }
  }
  const stops = await tabThrough(page, where);
  assert.ok(stops >= 5, `${where}: got ${stops} Tab stops, want the header's and the page's`);
  return images;
}

// goodsColumns is the number of columns the goods grid shows.
async function goodsColumns(page) {
  const xs = await page.locator('#goods-list .goods-card').evaluateAll(
    (cards) => cards.map((c) => Math.round(c.getBoundingClientRect().left)),
  );
  return new Set(xs).size;
}

test('every page fits a phone without scrolling sideways, and every picture has alt text', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, context, pageErrors } = await openBrowser(t, { viewport: PHONE });
  // A long nickname stresses the header on a narrow screen.
  const user = newUser('nickname');

  const signedOut = [
    ['/', () => page.locator('#login-form').waitFor()],
    ['/register.html', () => page.locator('#register-form').waitFor()],
  ];
  for (const [path, ready] of signedOut) {
    await page.goto(path);
    await page.locator('html[data-ready]').waitFor({ state: 'attached' });
    await ready();
    const images = await checkPage(page, path, 'phone');
    assert.ok(images.some((i) => i.src === '/images/hero.svg'), `${path}: got no hero picture, want one`);
  }

  await signUp(context, user);
  await logIn(context, user);
  for (const id of [3, 7]) {
    const res = await context.request.post(`/api/goods/${id}/cart`, { data: { quantity: 1 } });
    assert.equal(res.status(), 200, `POST /api/goods/${id}/cart: got ${res.status()}, want 200`);
  }
  const ordered = await context.request.post('/api/orders', { data: { items: [{ goodsId: 5, quantity: 2 }] } });
  assert.equal(ordered.status(), 201, `POST /api/orders: got ${ordered.status()}, want 201`);

  const signedIn = [
    ['/goods.html', () => page.locator('#goods-list[data-category="all"]').waitFor({ state: 'attached' }), 8],
    ['/detail.html?goodsId=1', () => expectText(page.locator('#goods-name'), '아메리카노'), 1],
    ['/cart.html', () => page.locator('#cart-items[data-loaded]').waitFor({ state: 'attached' }), 2],
    ['/order.html', () => page.locator('#order:not([hidden])').waitFor(), 2],
    ['/orders.html', () => page.locator('#orders .order-card').first().waitFor(), 0],
  ];
  for (const [path, ready, goodsPictures] of signedIn) {
    await page.goto(path);
    await page.locator('[data-account] .who', { hasText: user.nickname }).waitFor();
    await ready();
    const images = await checkPage(page, path, 'phone');
    const goods = images.filter((i) => i.src.startsWith('/images/goods/')).length;
    assert.ok(goods >= goodsPictures, `${path}: got ${goods} goods pictures, want at least ${goodsPictures}`);
  }

  // The goods grid: two columns on a phone, more on a desktop.
  await page.goto('/goods.html');
  await page.locator('#goods-list[data-category="all"]').waitFor({ state: 'attached' });
  const phoneColumns = await goodsColumns(page);
  assert.ok(phoneColumns >= 1 && phoneColumns <= 2, `got ${phoneColumns} goods columns on a phone, want 1 or 2`);
  await page.setViewportSize(DESKTOP);
  const desktopColumns = await goodsColumns(page);
  assert.ok(desktopColumns > 2, `got ${desktopColumns} goods columns on a desktop, want more than 2`);
  await checkPage(page, '/goods.html', 'desktop');
  assert.deepEqual(pageErrors, [], 'got page errors, want none');
});
