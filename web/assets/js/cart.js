// Cart (/cart.html): change quantities (PUT), remove items (DELETE), see
// the total, go on to the order.

import { api } from '/js/api.js';
import {
  initPage, el, goodsImage, formatMinor, formatPrice, toMinor, detailHref, quantityControl,
  showError, showSuccess, clearMessages, whileBusy,
} from '/js/ui.js';

const listEl = document.getElementById('cart-items');
const cartEl = document.getElementById('cart');
const emptyEl = document.getElementById('cart-empty');
let items = [];

function cartPath(goodsId) {
  return `/api/goods/${encodeURIComponent(goodsId)}/cart`;
}

function updateSummary() {
  const count = items.reduce((n, it) => n + it.quantity, 0);
  const total = items.reduce((sum, it) => sum + toMinor(it.goods.price) * it.quantity, 0);
  document.getElementById('cart-count').textContent = `${items.length}종 ${count}개`;
  document.getElementById('cart-total').textContent = formatMinor(total);
  cartEl.hidden = items.length === 0;
  emptyEl.hidden = items.length !== 0;
}

function row(item) {
  const { goods } = item;
  const subtotal = el('span', { className: 'subtotal', text: formatMinor(toMinor(goods.price) * item.quantity) });
  const qty = quantityControl({
    id: `quantity-${goods.goodsId}`,
    value: item.quantity,
    label: `${goods.name} 수량`,
    labelHidden: true,
    onChange: async (quantity) => {
      clearMessages();
      await api(cartPath(goods.goodsId), { method: 'PUT', body: { quantity } });
      item.quantity = quantity;
      subtotal.textContent = formatMinor(toMinor(goods.price) * quantity);
      updateSummary();
    },
  });
  const remove = el('button', {
    type: 'button',
    className: 'btn btn-secondary btn-small',
    'aria-label': `${goods.name} 삭제`,
    text: '삭제',
  });
  const li = el('li', { className: 'line-item', dataset: { goodsId: goods.goodsId } },
    goodsImage(goods, { width: 88, height: 88 }),
    el('div', {},
      el('a', { className: 'name', href: detailHref(goods.goodsId), text: goods.name }),
      el('p', { className: 'unit', text: `${formatPrice(goods.price)} / 개` })),
    el('div', { className: 'controls' }, qty.label, qty.group, subtotal, remove));
  remove.addEventListener('click', async () => {
    clearMessages();
    try {
      await whileBusy(remove, '삭제 중…', () => api(cartPath(goods.goodsId), { method: 'DELETE' }));
    } catch (err) {
      showError(err);
      return;
    }
    const next = li.nextElementSibling ?? li.previousElementSibling;
    items = items.filter((it) => it !== item);
    li.remove();
    updateSummary();
    showSuccess(`${goods.name}을(를) 장바구니에서 뺐습니다.`);
    (next?.querySelector('button[aria-label$="삭제"]') ?? document.querySelector('#cart-empty a'))?.focus();
  });
  return li;
}

async function load() {
  try {
    const { carts = [] } = await api('/api/goods/cart');
    items = carts.filter((c) => c && c.goods);
    listEl.replaceChildren(...items.map(row));
    updateSummary();
    listEl.dataset.loaded = 'true';
  } catch (err) {
    showError(err);
  } finally {
    document.getElementById('loading').hidden = true;
  }
}

await initPage({ requireUser: true });
load();
