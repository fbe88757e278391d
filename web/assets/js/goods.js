// Goods list (/goods.html?category=): the catalogue with a category filter.

import { api } from '/js/api.js';
import {
  CATEGORIES, initPage, el, goodsImage, formatPrice, categoryLabel, detailHref, showError, clearMessages,
} from '/js/ui.js';

const list = document.getElementById('goods-list');
const loading = document.getElementById('loading');
const filters = document.getElementById('filters');

function selectedCategory() {
  const value = new URLSearchParams(location.search).get('category') ?? '';
  return CATEGORIES.some((c) => c.value === value) ? value : '';
}

function renderFilters(current) {
  filters.replaceChildren(...CATEGORIES.map((c) => el('li', {},
    el('button', {
      type: 'button',
      className: 'chip',
      'aria-pressed': String(c.value === current),
      dataset: { category: c.value },
      text: c.label,
      onclick: () => choose(c.value),
    }))));
}

function card(goods) {
  return el('li', { className: 'goods-card' },
    el('a', { href: detailHref(goods.goodsId) },
      goodsImage(goods, { width: 400, height: 400 }),
      el('div', { className: 'info' },
        el('span', { className: 'badge', text: categoryLabel(goods.category) }),
        el('h2', { text: goods.name }),
        el('p', { className: 'price', text: formatPrice(goods.price) }))));
}

let request = 0;

async function load(category) {
  const mine = ++request;
  loading.hidden = false;
  list.setAttribute('aria-busy', 'true');
  try {
    const query = category ? `?category=${encodeURIComponent(category)}` : '';
    const { goods = [] } = await api(`/api/goods${query}`);
    if (mine !== request) return; // a later choice won
    clearMessages();
    list.replaceChildren(...goods.map(card));
    if (goods.length === 0) {
      list.replaceChildren(el('li', { className: 'empty', text: '이 카테고리에는 아직 상품이 없습니다.' }));
    }
    list.dataset.category = category || 'all';
  } catch (err) {
    if (mine === request) showError(err);
  } finally {
    if (mine === request) {
      loading.hidden = true;
      list.removeAttribute('aria-busy');
    }
  }
}

function choose(category) {
  const url = new URL(location.href);
  if (category) url.searchParams.set('category', category);
  else url.searchParams.delete('category');
  history.replaceState(null, '', url);
  renderFilters(category);
  filters.querySelector(`[data-category="${category}"]`)?.focus();
  load(category);
}

const initial = selectedCategory();
renderFilters(initial);
load(initial);
initPage();
