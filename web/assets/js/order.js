// Order (/order.html): pays for the whole cart, or with
// ?goodsId=N&quantity=Q for one goods bought at once from its detail page.
// Success is shown only once the server has recorded the order.

import { api } from '/js/api.js';
import {
  initPage, el, goodsImage, formatMinor, formatPrice, toMinor, clampQuantity, detailHref,
  showError, clearMessages, whileBusy,
} from '/js/ui.js';

const params = new URLSearchParams(location.search);
const direct = params.has('goodsId');

function line({ goods, quantity }) {
  return el('li', { className: 'line-item' },
    goodsImage(goods, { width: 88, height: 88 }),
    el('div', {},
      el('a', { className: 'name', href: detailHref(goods.goodsId), text: goods.name }),
      el('p', { className: 'unit', text: `${formatPrice(goods.price)} × ${quantity}개` })),
    el('div', { className: 'controls' },
      el('span', { className: 'subtotal', text: formatMinor(toMinor(goods.price) * quantity) })));
}

async function loadItems() {
  if (direct) {
    const id = params.get('goodsId') ?? '';
    if (!/^[1-9]\d*$/.test(id)) throw new Error('상품 번호가 올바르지 않습니다.');
    const { goods } = await api(`/api/goods/${id}`);
    return [{ goods, quantity: clampQuantity(params.get('quantity') ?? 1) }];
  }
  const { carts = [] } = await api('/api/goods/cart');
  return carts.filter((c) => c && c.goods);
}

function showDone(order) {
  document.getElementById('order').hidden = true;
  document.getElementById('order-title').textContent = '주문 완료';
  const first = order.items?.[0]?.name ?? '';
  const more = (order.items?.length ?? 0) - 1;
  const what = more > 0 ? `${first} 외 ${more}개의 상품` : first;
  document.getElementById('done-summary').textContent = `${what} · 총 ${formatPrice(order.total)} 결제가 완료되었습니다.`;
  const done = document.getElementById('order-done');
  done.dataset.orderId = order.orderId ?? '';
  done.hidden = false;
  done.focus();
}

async function main() {
  let items;
  try {
    items = await loadItems();
  } catch (err) {
    showError(err);
    return;
  } finally {
    document.getElementById('loading').hidden = true;
  }
  if (items.length === 0) {
    document.getElementById('order-empty').hidden = false;
    return;
  }
  const total = items.reduce((sum, it) => sum + toMinor(it.goods.price) * it.quantity, 0);
  document.getElementById('order-items').replaceChildren(...items.map(line));
  document.getElementById('order-count').textContent = `${items.reduce((n, it) => n + it.quantity, 0)}개`;
  document.getElementById('order-total').textContent = formatMinor(total);
  document.getElementById('order').hidden = false;

  const pay = document.getElementById('pay');
  pay.addEventListener('click', async () => {
    clearMessages();
    const body = direct
      ? { items: items.map((it) => ({ goodsId: it.goods.goodsId, quantity: it.quantity })) }
      : {};
    let result;
    try {
      result = await whileBusy(pay, '결제하는 중…', () => api('/api/orders', { method: 'POST', body }));
    } catch (err) {
      showError(err);
      return;
    }
    showDone(result.order ?? {});
  });
}

await initPage({ requireUser: true });
main();
