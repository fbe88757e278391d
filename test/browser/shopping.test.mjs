// Browsing, filtering, the detail page, cart edits and totals, ordering.

import assert from 'node:assert/strict';
import test from 'node:test';
import {
  TEST_TIMEOUT, expectText, expectURL, expectVisibleFocus, openBrowser, priceText, signedInBrowser,
} from './support.mjs';

const catalogue = [
  { goodsId: 1, name: '아메리카노', category: 'drink', price: 4500 },
  { goodsId: 2, name: '카페라떼', category: 'drink', price: 5000 },
  { goodsId: 3, name: '녹차라떼', category: 'drink', price: 5500 },
  { goodsId: 4, name: '크루아상', category: 'food', price: 3800 },
  { goodsId: 5, name: '치즈케이크', category: 'food', price: 6200 },
  { goodsId: 6, name: '샌드위치', category: 'food', price: 7900 },
  { goodsId: 7, name: '텀블러', category: 'goods', price: 22000 },
  { goodsId: 8, name: '머그컵', category: 'goods', price: 15000 },
];

// expectFocus waits until the element of locator has the keyboard focus.
async function expectFocus(page, locator, where) {
  try {
    await locator.and(page.locator(':focus')).waitFor({ timeout: 2000 });
  } catch {
    const got = await page.evaluate(() => {
      const el = document.activeElement;
      return el ? `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}> ${JSON.stringify(el.textContent.trim().slice(0, 30))}` : 'nothing';
    });
    assert.fail(`${where}: got focus on ${got}, want it on ${locator}`);
  }
}

async function cardNames(page) {
  return page.locator('#goods-list .goods-card h2').allTextContents();
}

test('the goods list shows the catalogue and filters by category', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, pageErrors, consoleErrors } = await openBrowser(t);
  await page.goto('/goods.html');
  await page.locator('#goods-list[data-category="all"]').waitFor({ state: 'attached' });
  const all = await cardNames(page);
  // Goods created by other tests may follow the seed catalogue.
  assert.deepEqual(all.slice(0, catalogue.length), catalogue.map((g) => g.name));

  const first = page.locator('#goods-list .goods-card').first();
  assert.equal(await first.locator('.price').textContent(), priceText(4500));
  assert.equal(await first.locator('img').getAttribute('alt'), '아메리카노');
  assert.equal(await first.locator('a').getAttribute('href'), '/detail.html?goodsId=1');

  const tabs = [
    { label: '음료', category: 'drink' },
    { label: '음식', category: 'food' },
    { label: '굿즈', category: 'goods' },
  ];
  for (const { label, category } of tabs) {
    await page.getByRole('button', { name: label, exact: true }).click();
    await page.locator(`#goods-list[data-category="${category}"]`).waitFor({ state: 'attached' });
    const names = await cardNames(page);
    const want = catalogue.filter((g) => g.category === category).map((g) => g.name);
    assert.deepEqual(names.filter((n) => want.includes(n)), want, `${label}: got ${names}, want ${want}`);
    const badges = await page.locator('#goods-list .badge').allTextContents();
    assert.ok(badges.every((b) => b === label), `${label}: got badges ${badges}, want only ${label}`);
    assert.equal(await page.getByRole('button', { name: label, exact: true }).getAttribute('aria-pressed'), 'true');
    assert.equal(new URL(page.url()).searchParams.get('category'), category);
  }

  // The filter survives a reload through the URL.
  await page.reload();
  await page.locator('#goods-list[data-category="goods"]').waitFor({ state: 'attached' });
  await page.getByRole('button', { name: '전체', exact: true }).click();
  await page.locator('#goods-list[data-category="all"]').waitFor({ state: 'attached' });
  assert.ok((await cardNames(page)).length >= catalogue.length);

  // Every picture loads (a broken one would fall back to the placeholder).
  const broken = await page.locator('#goods-list img').evaluateAll(
    (imgs) => imgs.filter((i) => !i.complete || i.naturalWidth === 0 || i.src.endsWith('placeholder.svg')).map((i) => i.alt),
  );
  assert.deepEqual(broken.filter((alt) => catalogue.some((g) => g.name === alt)), [], 'got broken seed images, want none');
  assert.deepEqual(pageErrors, [], 'got page errors, want none');
  assert.deepEqual(consoleErrors, [], 'got console errors, want none');
});

test('the detail page shows the goods and totals the quantity', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page } = await openBrowser(t);
  await page.goto('/goods.html');
  await page.locator('#goods-list .goods-card a', { hasText: '치즈케이크' }).click();
  await expectURL(page, (u) => u.pathname === '/detail.html' && u.searchParams.get('goodsId') === '5');
  await expectText(page.locator('#goods-name'), '치즈케이크');
  await expectText(page.locator('#goods-price'), priceText(6200));
  await expectText(page.locator('#goods-total'), priceText(6200));
  await page.getByRole('button', { name: '수량 늘리기' }).click();
  await page.getByRole('button', { name: '수량 늘리기' }).click();
  await expectText(page.locator('#goods-total'), priceText(18600));
  await page.getByLabel('수량', { exact: true }).fill('120');
  await page.getByLabel('수량', { exact: true }).press('Tab');
  await expectText(page.locator('#goods-total'), priceText(6200 * 99));

  await page.goto('/detail.html?goodsId=99999');
  await page.locator('#flash .alert-error').waitFor();
  await page.goto('/detail.html?goodsId=abc');
  await page.locator('#flash .alert-error').waitFor();
});

test('a signed-out visitor adding to the cart is offered the login page', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page } = await openBrowser(t);
  await page.goto('/detail.html?goodsId=2');
  await expectText(page.locator('#goods-name'), '카페라떼');
  await page.getByRole('button', { name: '장바구니에 담기' }).click();
  await page.locator('#flash .alert-error', { hasText: '로그인 후 이용 가능한 기능입니다.' }).waitFor();
  const dialog = page.getByRole('dialog', { name: '로그인이 필요합니다' });
  await dialog.waitFor();
  // The dialog is keyboard-usable: focus is inside, Escape closes it and
  // the focus goes back to the button that opened it.
  await expectFocus(page, dialog.getByRole('button', { name: '로그인하기' }), 'login dialog');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  await expectFocus(page, page.locator('#add-to-cart'), 'closed login dialog');
  assert.equal(new URL(page.url()).pathname, '/detail.html');
});

test('cart edits change the totals and ordering empties the cart', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, context, dialogs, pageErrors, consoleErrors } = await signedInBrowser(t);

  // Add two goods from their detail pages.
  await page.goto('/detail.html?goodsId=1');
  await expectText(page.locator('#goods-name'), '아메리카노');
  await page.getByRole('button', { name: '수량 늘리기' }).click();
  // By keyboard: Enter on the button opens the dialog with the focus in
  // it, Tab moves between its actions, Escape closes it and gives the
  // focus back to the button.
  await page.locator('#add-to-cart').focus();
  await page.keyboard.press('Enter');
  const added = page.getByRole('dialog', { name: '장바구니에 담았습니다' });
  await added.waitFor();
  await expectFocus(page, added.getByRole('button', { name: '장바구니로 이동' }), 'opened dialog');
  await page.keyboard.press('Shift+Tab');
  await expectFocus(page, added.getByRole('button', { name: '계속 쇼핑하기' }), 'Shift+Tab in the dialog');
  await expectVisibleFocus(page, 'Shift+Tab in the dialog');
  await page.keyboard.press('Tab');
  await expectFocus(page, added.getByRole('button', { name: '장바구니로 이동' }), 'Tab in the dialog');
  await page.keyboard.press('Escape');
  await added.waitFor({ state: 'detached' });
  await expectFocus(page, page.locator('#add-to-cart'), 'closed dialog');
  await expectVisibleFocus(page, 'closed dialog');
  assert.equal(new URL(page.url()).pathname, '/detail.html');
  await page.locator('#flash .alert-success').waitFor();

  // Adding it again shows the contract's message.
  await page.getByRole('button', { name: '장바구니에 담기' }).click();
  await page.locator('#flash .alert-error', { hasText: '이미 장바구니에 해당하는 상품이 존재합니다.' }).waitFor();

  await page.goto('/detail.html?goodsId=5');
  await expectText(page.locator('#goods-name'), '치즈케이크');
  await page.getByRole('button', { name: '장바구니에 담기' }).click();
  // Enter on the dialog's focused action takes it.
  await expectFocus(page, page.getByRole('dialog').getByRole('button', { name: '장바구니로 이동' }), 'second dialog');
  await page.keyboard.press('Enter');
  await expectURL(page, (u) => u.pathname === '/cart.html');

  const rows = page.locator('#cart-items .line-item');
  await page.locator('#cart-items[data-loaded]').waitFor({ state: 'attached' });
  assert.deepEqual(await rows.locator('.name').allTextContents(), ['아메리카노', '치즈케이크']);
  await expectText(page.locator('#cart-total'), priceText(4500 * 2 + 6200));

  // + on the cheesecake: PUT quantity 2.
  await page.getByRole('button', { name: '치즈케이크 수량 늘리기' }).click();
  await expectText(page.locator('#cart-total'), priceText(4500 * 2 + 6200 * 2));
  // Typing a quantity.
  await page.getByLabel('아메리카노 수량', { exact: true }).fill('5');
  await page.getByLabel('아메리카노 수량', { exact: true }).press('Enter');
  await expectText(page.locator('#cart-total'), priceText(4500 * 5 + 6200 * 2));

  // The server agrees with what the page shows.
  const cart = await (await context.request.get('/api/goods/cart')).json();
  assert.deepEqual(cart.carts.map((c) => [c.goods.goodsId, c.quantity]), [[1, 5], [5, 2]]);

  // The totals survive a reload, then removal takes the item out.
  await page.reload();
  await expectText(page.locator('#cart-total'), priceText(4500 * 5 + 6200 * 2));
  await page.getByRole('button', { name: '아메리카노 삭제' }).click();
  await expectText(page.locator('#cart-total'), priceText(6200 * 2));
  assert.deepEqual(await rows.locator('.name').allTextContents(), ['치즈케이크']);

  await page.getByRole('link', { name: '주문하기' }).click();
  await expectURL(page, (u) => u.pathname === '/order.html');
  await expectText(page.locator('#order-total'), priceText(12400));
  await page.getByRole('button', { name: '결제하기' }).click();
  await page.locator('#order-done').waitFor();
  assert.match(await page.locator('#done-summary').textContent(), /치즈케이크 · 총 12,400원/);

  // The ordered items left the cart, and the order is in the history.
  await page.goto('/cart.html');
  await page.locator('#cart-empty').waitFor();
  await page.goto('/orders.html');
  const order = page.locator('#orders .order-card').first();
  await order.waitFor();
  assert.match(await order.textContent(), /치즈케이크 × 2/);
  await expectText(order.locator('.amount'), priceText(12400));

  assert.deepEqual(dialogs, [], 'got dialogs, want none');
  assert.deepEqual(pageErrors, [], 'got page errors, want none');
  assert.deepEqual(consoleErrors, [], 'got console errors, want none');
});

test('buy now orders one goods without touching the cart', { timeout: TEST_TIMEOUT }, async (t) => {
  const { page, context } = await signedInBrowser(t);
  let res = await context.request.put('/api/goods/8/cart', { data: { quantity: 1 } });
  assert.equal(res.status(), 200);

  await page.goto('/detail.html?goodsId=7');
  await expectText(page.locator('#goods-name'), '텀블러');
  await page.getByRole('button', { name: '수량 늘리기' }).click();
  await page.getByRole('button', { name: '바로 구매' }).click();
  await expectURL(page, (u) => u.pathname === '/order.html' && u.searchParams.get('quantity') === '2');
  await expectText(page.locator('#order-total'), priceText(44000));

  // The success message waits for the server's answer.
  let release;
  const held = new Promise((r) => { release = r; });
  await page.route('**/api/orders', async (route) => {
    await held;
    await route.continue();
  });
  await page.getByRole('button', { name: '결제하기' }).click();
  await page.getByRole('button', { name: '결제하는 중…' }).waitFor();
  assert.equal(await page.locator('#order-done').isVisible(), false, 'got success before the server answered');
  release();
  await page.locator('#order-done').waitFor();
  await page.unroute('**/api/orders');

  res = await context.request.get('/api/goods/cart');
  const { carts } = await res.json();
  assert.deepEqual(carts.map((c) => c.goods.goodsId), [8], 'got the cart changed by buy now, want it untouched');
  const { orders } = await (await context.request.get('/api/orders')).json();
  assert.deepEqual(orders[0].items.map((i) => [i.goodsId, i.quantity]), [[7, 2]]);
});
