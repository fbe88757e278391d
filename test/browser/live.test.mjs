// Live purchase toasts and viewer counts between independent browsers.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import test from 'node:test';
import {
  DESKTOP, PHONE, TEST_TIMEOUT, apiUser, expectText, openBrowser, screenshot, signedInBrowser, toastFor, waitLive,
} from './support.mjs';

// TOAST_DEADLINE is how soon a purchase must show in another browser.
const TOAST_DEADLINE = 2000;

// seoulTime is how a ko-KR browser in Seoul shows the time of day of d.
function seoulTime(d) {
  const local = new Date(d.getTime() + 9 * 3600_000);
  const h = local.getUTCHours();
  const pad = (n) => String(n).padStart(2, '0');
  return `${h < 12 ? '오전' : '오후'} ${h % 12 || 12}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
}

// buyThroughPage pays for goodsId on the buyer's order page and resolves
// when the server has answered 201.
async function buyThroughPage(page, goodsId, quantity = 1) {
  await page.goto(`/order.html?goodsId=${goodsId}&quantity=${quantity}`);
  await page.locator('#order:not([hidden])').waitFor();
  const answered = page.waitForResponse((r) => r.url().endsWith('/api/orders') && r.request().method() === 'POST');
  await page.getByRole('button', { name: '결제하기' }).click();
  const res = await answered;
  assert.equal(res.status(), 201, `POST /api/orders: got ${res.status()}, want 201`);
}

test('a purchase shows as a toast in another browser on the goods list', { timeout: TEST_TIMEOUT }, async (t) => {
  const buyer = await signedInBrowser(t);
  const viewer = await openBrowser(t, { viewport: DESKTOP });
  await viewer.page.goto('/goods.html');
  await viewer.page.locator('#goods-list[data-category="all"]').waitFor({ state: 'attached' });
  await waitLive(viewer.page);

  await buyThroughPage(buyer.page, 3);
  const confirmed = Date.now();
  const toast = toastFor(viewer.page, buyer.user.nickname);
  await toast.waitFor({ timeout: TOAST_DEADLINE });
  t.diagnostic(`toast shown ${Date.now() - confirmed} ms after the order was confirmed (websocket)`);

  // Hovering holds the toast while it is inspected and photographed.
  await toast.hover();
  assert.equal(await toast.locator('.toast-goods').textContent(), '녹차라떼');
  assert.equal(await toast.locator('.toast-goods').getAttribute('href'), '/detail.html?goodsId=3');
  assert.equal(await toast.locator('p').textContent(), `${buyer.user.nickname}님이 방금 녹차라떼을 구매했어요!`);
  // The time is the purchase's, in the visitor's zone (Asia/Seoul, UTC+9).
  const iso = await toast.locator('time').getAttribute('datetime');
  const when = new Date(iso);
  assert.ok(Math.abs(Date.now() - when.getTime()) < 60_000, `got purchase time ${iso}, want about now`);
  await expectText(toast.locator('time'), seoulTime(when));
  // The buyer's own page hears it too.
  await toastFor(buyer.page, buyer.user.nickname).waitFor();

  await screenshot(viewer.page, 'goods-toast-desktop');
  await viewer.page.setViewportSize(PHONE);
  await toast.hover();
  await screenshot(viewer.page, 'goods-toast-phone');
  await viewer.page.setViewportSize(DESKTOP);

  // The close button removes it at once.
  await toast.getByRole('button', { name: '알림 닫기' }).click();
  await toast.waitFor({ state: 'detached' });
  assert.deepEqual(viewer.pageErrors, [], 'got page errors, want none');
  assert.deepEqual(viewer.consoleErrors, [], 'got console errors, want none');
  assert.equal(await viewer.page.locator('html').getAttribute('data-transport'), 'websocket',
    'got the socket still on long-polling, want it upgraded to WebSocket');
});

test('toasts stack newest first, at most four, and hide by themselves', { timeout: TEST_TIMEOUT }, async (t) => {
  const buyer = await signedInBrowser(t);
  const viewer = await openBrowser(t);
  await viewer.page.goto('/goods.html');
  await waitLive(viewer.page);

  const goods = [1, 2, 4, 5, 6];
  for (const id of goods) {
    const res = await buyer.context.request.post('/api/orders', { data: { items: [{ goodsId: id, quantity: 1 }] } });
    assert.equal(res.status(), 201, `POST /api/orders: got ${res.status()}, want 201`);
  }
  const mine = toastFor(viewer.page, buyer.user.nickname);
  await mine.filter({ hasText: '샌드위치' }).waitFor();
  const names = await mine.locator('.toast-goods').allTextContents();
  assert.deepEqual(names, ['샌드위치', '치즈케이크', '크루아상', '카페라떼'], 'got toasts (top first), want the newest four');
  assert.ok((await viewer.page.locator('#toasts .toast').count()) <= 4);
  // On the screen too, not only in the document: each toast sits above
  // the one before it.
  const tops = await mine.evaluateAll((toasts) => toasts.map((el) => el.getBoundingClientRect().top));
  for (let i = 1; i < tops.length; i++) {
    assert.ok(tops[i - 1] < tops[i], `got ${names[i - 1]} at y=${tops[i - 1]} and the older ${names[i]} at y=${tops[i]}, want the newer above`);
  }

  // Stack sits at the bottom left of the viewport.
  const box = await viewer.page.locator('#toasts').boundingBox();
  assert.ok(box.x < 40, `got toast stack at x=${box.x}, want the left edge`);
  assert.ok(box.y + box.height > DESKTOP.height - 40, `got toast stack bottom at ${box.y + box.height}, want the bottom edge`);

  // A hovered toast stays; the others leave by themselves after a few seconds.
  const held = mine.first();
  await held.hover();
  await mine.nth(1).waitFor({ state: 'detached', timeout: 15_000 });
  assert.equal(await held.isVisible(), true, 'got the hovered toast hidden, want it kept');
  await viewer.page.mouse.move(DESKTOP.width - 10, 10);
  await held.waitFor({ state: 'detached', timeout: 15_000 });
});

test('a purchase shows as a toast on the detail, cart and my orders pages too', { timeout: TEST_TIMEOUT }, async (t) => {
  const viewer = await signedInBrowser(t);
  const paths = [`/detail.html?goodsId=2&ref=${randomBytes(4).toString('hex')}`, '/cart.html', '/orders.html'];
  const pages = [viewer.page, await viewer.context.newPage(), await viewer.context.newPage()];
  for (const [i, page] of pages.entries()) {
    await page.goto(paths[i]);
    await page.locator('html[data-ready]').waitFor({ state: 'attached' });
    await waitLive(page);
  }

  const buyer = await apiUser(t);
  const res = await buyer.request.post('/api/orders', { data: { items: [{ goodsId: 6, quantity: 1 }] } });
  assert.equal(res.status(), 201, `POST /api/orders: got ${res.status()}, want 201`);
  await Promise.all(pages.map(async (page, i) => {
    const toast = toastFor(page, buyer.user.nickname);
    try {
      await toast.waitFor({ timeout: TOAST_DEADLINE });
    } catch (err) {
      throw new Error(`${paths[i]}: got no toast for ${buyer.user.nickname} within ${TOAST_DEADLINE} ms: ${err.message}`);
    }
    // Read at once, well within the toast's few seconds: hovering a
    // background tab waits for it to paint.
    const got = await toast.evaluate((el) => ({
      text: el.querySelector('p').textContent,
      href: el.querySelector('.toast-goods').getAttribute('href'),
    }));
    assert.deepEqual(got, { text: `${buyer.user.nickname}님이 방금 샌드위치을 구매했어요!`, href: '/detail.html?goodsId=6' }, paths[i]);
  }));
  assert.deepEqual(viewer.pageErrors, [], 'got page errors, want none');
});

test('two browsers on the same detail page see the viewer count', { timeout: TEST_TIMEOUT }, async (t) => {
  const a = await openBrowser(t, { viewport: DESKTOP });
  const b = await openBrowser(t, { viewport: PHONE });
  // A query of its own keeps other browsers on goods 4 out of this count.
  const path = `/detail.html?goodsId=4&ref=${randomBytes(4).toString('hex')}`;
  await a.page.goto(path);
  await waitLive(a.page);
  await b.page.goto(path);
  await waitLive(b.page);

  const want = '총 2명이 이 상품을 구경하고 있습니다!';
  for (const { page } of [a, b]) {
    await expectText(page.locator('#viewer-count'), want);
    assert.equal(await page.locator('#viewer-count').isVisible(), true);
  }
  await expectText(a.page.locator('#goods-name'), '크루아상');
  await expectText(b.page.locator('#goods-name'), '크루아상');
  await screenshot(a.page, 'detail-desktop');
  await screenshot(b.page, 'detail-phone');

  // A viewer of another goods does not count.
  const c = await openBrowser(t);
  await c.page.goto('/detail.html?goodsId=5');
  await waitLive(c.page);
  assert.equal(await c.page.locator('#viewer-count').isVisible(), false);

  // When one leaves, the other's count drops and the banner goes.
  await b.page.goto('/goods.html');
  await a.page.locator('#viewer-count').waitFor({ state: 'hidden' });
  await b.page.goto(path);
  await expectText(a.page.locator('#viewer-count'), want);
  await b.context.close();
  await a.page.locator('#viewer-count').waitFor({ state: 'hidden' });
});

test('toasts arrive over HTTP long-polling', { timeout: TEST_TIMEOUT }, async (t) => {
  const buyer = await signedInBrowser(t);
  const viewer = await openBrowser(t);
  const sockets = [];
  viewer.page.on('websocket', (ws) => sockets.push(ws.url()));
  await viewer.page.goto('/goods.html?transport=polling');
  await waitLive(viewer.page);
  assert.equal(await viewer.page.locator('html').getAttribute('data-transport'), 'polling');

  await buyThroughPage(buyer.page, 8, 2);
  const confirmed = Date.now();
  const toast = toastFor(viewer.page, buyer.user.nickname);
  await toast.waitFor({ timeout: TOAST_DEADLINE });
  t.diagnostic(`toast shown ${Date.now() - confirmed} ms after the order was confirmed (long-polling)`);
  assert.equal(await toast.locator('.toast-goods').textContent(), '머그컵');
  assert.equal(await viewer.page.locator('html').getAttribute('data-transport'), 'polling');
  assert.deepEqual(sockets, [], 'got WebSocket connections, want long-polling only');
});
