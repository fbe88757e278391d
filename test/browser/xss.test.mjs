// User-supplied text (nicknames, goods names) is shown as text, never run
// as markup: no element is created from it and no script runs.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import test from 'node:test';
import {
  ADMIN_EMAIL, ADMIN_PASSWORD, TEST_TIMEOUT, expectText, logIn, openBrowser, signedInBrowser, toastFor, waitLive,
} from './support.mjs';

const PAYLOAD = '<img src=x onerror=alert(1)>';

// noInjectedMarkup asserts that the page has neither an element made from
// the payload nor a dialog or error from running it.
async function noInjectedMarkup(browser) {
  const injected = await browser.page.locator('img[src="x"], img[onerror]').count();
  assert.equal(injected, 0, `got ${injected} injected <img> elements, want 0`);
  assert.deepEqual(browser.dialogs, [], 'got dialogs, want none');
}

test('a toast shows a hostile nickname and goods name as text', { timeout: TEST_TIMEOUT }, async (t) => {
  const viewer = await openBrowser(t);
  await viewer.page.goto('/goods.html');
  await waitLive(viewer.page);
  // The toast renderer receives what a BUY_GOODS would carry; a valid
  // nickname cannot hold markup, so the event is handed to it directly.
  await viewer.page.evaluate(async (payload) => {
    const { showPurchaseToast } = await import('/js/live.js');
    showPurchaseToast({ nickname: payload, goodsId: 1, goodsName: `${payload}<script>alert(2)</script>`, date: new Date().toISOString() });
  }, PAYLOAD);
  const toast = toastFor(viewer.page, PAYLOAD);
  await toast.waitFor();
  await toast.hover();
  assert.equal(await toast.locator('.toast-nickname').textContent(), PAYLOAD);
  assert.equal(await toast.locator('.toast-goods').textContent(), `${PAYLOAD}<script>alert(2)</script>`);
  assert.equal(await toast.locator('img, script').count(), 0);
  await noInjectedMarkup(viewer);
});

test('goods named with markup by an admin show as text everywhere, toasts included', { timeout: TEST_TIMEOUT }, async (t) => {
  if (!ADMIN_EMAIL) {
    t.skip('SHOP_ADMIN_EMAIL is not set');
    return;
  }
  const admin = await openBrowser(t);
  const adminUser = {
    email: ADMIN_EMAIL,
    nickname: `admin${randomBytes(4).toString('hex')}`,
    password: ADMIN_PASSWORD,
  };
  // The admin signs up on first use and simply logs in afterwards.
  const made = await admin.context.request.post('/api/users', { data: { ...adminUser, confirmPassword: adminUser.password } });
  assert.ok([201, 400].includes(made.status()), `sign-up of the admin: got ${made.status()}, want 201 or 400`);
  await logIn(admin.context, adminUser);
  const name = `${PAYLOAD}${randomBytes(3).toString('hex')}`;
  const res = await admin.context.request.post('/api/goods', {
    data: { name, price: 1200, category: 'goods', thumbnailUrl: '/images/goods/missing-picture.svg' },
  });
  assert.equal(res.status(), 201, `POST /api/goods: got ${res.status()} ${await res.text()}, want 201`);
  const { goods } = await res.json();
  assert.equal(goods.name, name);

  const viewer = await openBrowser(t);
  await viewer.page.goto('/goods.html?category=goods');
  await viewer.page.locator('#goods-list[data-category="goods"]').waitFor({ state: 'attached' });
  const card = viewer.page.locator('#goods-list .goods-card', { hasText: name });
  await card.waitFor();
  assert.equal(await card.locator('h2').textContent(), name);
  // A picture that cannot load falls back to the placeholder.
  await viewer.page.waitForFunction((n) => {
    const img = [...document.querySelectorAll('#goods-list img')].find((i) => i.alt === n);
    return img && img.src.endsWith('/images/goods/placeholder.svg') && img.complete && img.naturalWidth > 0;
  }, name);
  await waitLive(viewer.page);

  const buyer = await signedInBrowser(t);
  const order = await buyer.context.request.post('/api/orders', {
    data: { items: [{ goodsId: goods.goodsId, quantity: 1 }] },
  });
  assert.equal(order.status(), 201, `POST /api/orders: got ${order.status()}, want 201`);
  const toast = toastFor(viewer.page, buyer.user.nickname);
  await toast.waitFor();
  await toast.hover();
  assert.equal(await toast.locator('.toast-goods').textContent(), name);
  assert.equal(await toast.locator('.toast-goods').getAttribute('href'), `/detail.html?goodsId=${goods.goodsId}`);

  await viewer.page.goto(`/detail.html?goodsId=${goods.goodsId}`);
  await expectText(viewer.page.locator('#goods-name'), name);
  assert.equal(await viewer.page.title(), `${name} · 스파르타 쇼핑몰`);

  await buyer.page.goto('/orders.html');
  await buyer.page.locator('#orders .order-card', { hasText: name }).waitFor();
  await noInjectedMarkup(viewer);
  await noInjectedMarkup(buyer);
});

test('only an admin may create goods', { timeout: TEST_TIMEOUT }, async (t) => {
  const { context, user } = await signedInBrowser(t);
  const res = await context.request.post('/api/goods', {
    data: { name: `not-allowed-${user.nickname}`, price: 1000, category: 'goods', thumbnailUrl: '/images/goods/mug.svg' },
  });
  assert.equal(res.status(), 403, `POST /api/goods as ${user.email}: got ${res.status()}, want 403`);
});
