// My orders (/orders.html), newest first.

import { api } from '/js/api.js';
import { initPage, el, formatPrice, formatMinor, toMinor, formatDateTime, detailHref, showError } from '/js/ui.js';

function orderCard(order) {
  const items = Array.isArray(order.items) ? order.items : [];
  return el('li', { className: 'panel order-card' },
    el('header', {},
      el('h2', {}, el('time', { datetime: order.createdAt, text: formatDateTime(order.createdAt) })),
      el('span', { className: 'meta', text: `주문번호 ${order.orderId ?? ''}` })),
    el('ul', {}, items.map((it) => el('li', {},
      el('span', {}, el('a', { href: detailHref(it.goodsId), text: it.name }), ` × ${it.quantity}`),
      el('span', { text: formatMinor(toMinor(it.price) * it.quantity) })))),
    el('p', { className: 'sum' }, el('span', { text: '합계' }), el('span', { className: 'amount', text: formatPrice(order.total) })));
}

async function load() {
  try {
    const { orders = [] } = await api('/api/orders');
    const list = document.getElementById('orders');
    list.replaceChildren(...orders.map(orderCard));
    list.hidden = orders.length === 0;
    document.getElementById('orders-empty').hidden = orders.length !== 0;
  } catch (err) {
    showError(err);
  } finally {
    document.getElementById('loading').hidden = true;
  }
}

await initPage({ requireUser: true });
load();
