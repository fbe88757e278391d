// Goods detail (/detail.html?goodsId=N): quantity, add to cart, buy now and
// how many people are looking at the same goods right now.

import { api, ApiError } from '/js/api.js';
import { onViewerCount } from '/js/live.js';
import {
  initPage, el, goodsImage, formatPrice, formatMinor, toMinor, categoryLabel, quantityControl,
  showError, showSuccess, clearMessages, confirmDialog, whileBusy, loginHref,
} from '/js/ui.js';

const params = new URLSearchParams(location.search);
const goodsId = params.get('goodsId') ?? '';
const viewers = document.getElementById('viewer-count');

onViewerCount((n) => {
  viewers.hidden = n <= 1;
  viewers.textContent = n > 1 ? `총 ${n}명이 이 상품을 구경하고 있습니다!` : '';
});

initPage();

async function askToLogin() {
  const go = await confirmDialog({
    title: '로그인이 필요합니다',
    message: '로그인 후 이용 가능한 기능입니다. 로그인 페이지로 이동할까요?',
    confirmText: '로그인하기',
    cancelText: '닫기',
  });
  if (go) location.assign(loginHref());
}

function show(goods) {
  document.title = `${goods.name} · 스파르타 쇼핑몰`;
  document.getElementById('detail-image').replaceChildren(goodsImage(goods, { width: 600, height: 600, loading: 'eager' }));
  document.getElementById('goods-category').textContent = categoryLabel(goods.category);
  document.getElementById('goods-name').textContent = goods.name;
  document.getElementById('goods-price').textContent = formatPrice(goods.price);
  const total = document.getElementById('goods-total');
  const unit = toMinor(goods.price);
  const qty = quantityControl({
    id: 'quantity',
    value: 1,
    label: '수량',
    onChange: (n) => { total.textContent = formatMinor(unit * n); },
  });
  total.textContent = formatMinor(unit);
  document.getElementById('qty-row').replaceChildren(qty.label, qty.group);

  const addButton = document.getElementById('add-to-cart');
  addButton.addEventListener('click', async () => {
    clearMessages();
    try {
      await whileBusy(addButton, '담는 중…', () => api(`/api/goods/${encodeURIComponent(goods.goodsId)}/cart`, {
        method: 'POST', body: { quantity: qty.value },
      }));
    } catch (err) {
      showError(err);
      if (err instanceof ApiError && err.status === 401) await askToLogin();
      return;
    }
    showSuccess(`${goods.name} ${qty.value}개를 장바구니에 담았습니다.`);
    const go = await confirmDialog({
      title: '장바구니에 담았습니다',
      message: '장바구니로 이동할까요?',
      confirmText: '장바구니로 이동',
      cancelText: '계속 쇼핑하기',
    });
    if (go) location.assign('/cart.html');
  });

  document.getElementById('buy-now').addEventListener('click', () => {
    const q = new URLSearchParams({ goodsId: String(goods.goodsId), quantity: String(qty.value) });
    location.assign(`/order.html?${q}`);
  });

  document.getElementById('detail').hidden = false;
}

async function load() {
  const loading = document.getElementById('loading');
  if (!/^[1-9]\d*$/.test(goodsId)) {
    loading.hidden = true;
    showError('상품 번호가 올바르지 않습니다.');
    return;
  }
  try {
    const { goods } = await api(`/api/goods/${goodsId}`);
    show(goods);
  } catch (err) {
    showError(err);
    document.getElementById('detail').replaceWith(
      el('div', { className: 'empty' }, el('p', { text: '상품을 표시할 수 없습니다.' }),
        el('a', { className: 'btn', href: '/goods.html', text: '상품 목록으로' })));
  } finally {
    loading.hidden = true;
  }
}

load();
