// What every page shares: the header's account area, the message region,
// prices, images, the quantity control and the confirmation dialog.

import { api, ApiError } from '/js/api.js';
import { startLive } from '/js/live.js';

export const CATEGORIES = [
  { value: '', label: '전체' },
  { value: 'drink', label: '음료' },
  { value: 'food', label: '음식' },
  { value: 'goods', label: '굿즈' },
];

export const MIN_QUANTITY = 1;
export const MAX_QUANTITY = 99;

const PLACEHOLDER = '/images/goods/placeholder.svg';

// categoryLabel is the Korean name of a category value.
export function categoryLabel(value) {
  const found = CATEGORIES.find((c) => c.value === value && value !== '');
  return found ? found.label : '기타';
}

// Money arrives as JSON numbers that may carry cents (6.2); sums are taken
// in integer hundredths so that no floating-point drift reaches the screen.
const wonFormat = new Intl.NumberFormat('ko-KR', { maximumFractionDigits: 2 });

export function toMinor(price) {
  return Math.round(Number(price) * 100);
}

export function formatMinor(minor) {
  return `${wonFormat.format(minor / 100)}원`;
}

export function formatPrice(price) {
  return formatMinor(toMinor(price));
}

const dateTimeFormat = new Intl.DateTimeFormat('ko-KR', {
  year: 'numeric', month: 'long', day: 'numeric', hour: 'numeric', minute: '2-digit',
});

// formatDateTime renders an ISO date in the visitor's time zone.
export function formatDateTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : dateTimeFormat.format(d);
}

// el builds an element. Text is always set as text: props.text and string
// children become text nodes, never markup.
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key === 'className') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (value === true) node.setAttribute(key, '');
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function flashRegion() {
  return document.getElementById('flash');
}

function flash(kind, message) {
  const region = flashRegion();
  if (!region) return;
  region.replaceChildren(el('p', { className: `alert alert-${kind}`, text: message }));
  if (kind === 'error') region.scrollIntoView({ block: 'nearest' });
}

// showError puts a message a person can read into the page's live region.
export function showError(errorOrMessage) {
  const message = typeof errorOrMessage === 'string'
    ? errorOrMessage
    : errorOrMessage?.message || '알 수 없는 오류가 발생했습니다.';
  flash('error', message);
}

export function showSuccess(message) {
  flash('success', message);
}

export function clearMessages() {
  flashRegion()?.replaceChildren();
}

// goodsImage is the goods' picture, falling back to a placeholder when the
// picture cannot be loaded.
export function goodsImage(goods, props = {}) {
  const url = typeof goods.thumbnailUrl === 'string' && /^(\/(?!\/)|https:\/\/)/.test(goods.thumbnailUrl)
    ? goods.thumbnailUrl
    : PLACEHOLDER;
  const img = el('img', { src: url, alt: goods.name ?? '상품 이미지', loading: 'lazy', decoding: 'async', ...props });
  img.addEventListener('error', () => {
    if (!img.src.endsWith(PLACEHOLDER)) img.src = PLACEHOLDER;
  });
  return img;
}

export function detailHref(goodsId) {
  return `/detail.html?goodsId=${encodeURIComponent(goodsId)}`;
}

// clampQuantity turns user input into a quantity the API accepts.
export function clampQuantity(value) {
  const n = Math.trunc(Number(value));
  if (!Number.isFinite(n)) return MIN_QUANTITY;
  return Math.min(MAX_QUANTITY, Math.max(MIN_QUANTITY, n));
}

// quantityControl is a − / number / + group. onChange(quantity) is called
// with a clamped quantity after every user change; it may return a promise,
// during which the control is disabled.
export function quantityControl({ id, value, label, labelHidden = false, onChange }) {
  const input = el('input', {
    id, type: 'number', inputmode: 'numeric', min: MIN_QUANTITY, max: MAX_QUANTITY, step: 1,
    value: clampQuantity(value),
  });
  const labelEl = el('label', { for: id, className: labelHidden ? 'visually-hidden' : undefined, text: label });
  let current = clampQuantity(value);
  const buttons = [];
  async function set(next) {
    next = clampQuantity(next);
    input.value = String(next);
    if (next === current) return;
    const previous = current;
    current = next;
    const parts = [input, ...buttons];
    parts.forEach((p) => { p.disabled = true; });
    try {
      await onChange?.(next);
    } catch (err) {
      current = previous;
      input.value = String(previous);
      throw err;
    } finally {
      parts.forEach((p) => { p.disabled = false; });
    }
  }
  const report = (p) => p.catch(showError);
  const minus = el('button', {
    type: 'button', 'aria-label': `${label} 줄이기`, text: '−',
    onclick: () => report(set(current - 1)),
  });
  const plus = el('button', {
    type: 'button', 'aria-label': `${label} 늘리기`, text: '+',
    onclick: () => report(set(current + 1)),
  });
  buttons.push(minus, plus);
  input.addEventListener('change', () => report(set(input.value)));
  const group = el('div', { className: 'qty' }, minus, input, plus);
  return { label: labelEl, group, input, get value() { return current; } };
}

// confirmDialog asks a question in a modal <dialog>, which the browser makes
// keyboard-usable (focus moves in, Escape cancels, focus returns). It
// resolves true when the confirm button was chosen.
export function confirmDialog({ title, message, confirmText, cancelText }) {
  return new Promise((resolve) => {
    const titleId = `dialog-title-${Math.random().toString(36).slice(2)}`;
    const confirm = el('button', { type: 'submit', value: 'confirm', className: 'btn', text: confirmText });
    const cancel = el('button', { type: 'submit', value: 'cancel', className: 'btn btn-secondary', text: cancelText });
    const dialog = el('dialog', { 'aria-labelledby': titleId },
      el('form', { method: 'dialog' },
        el('h2', { id: titleId, text: title }),
        el('p', { text: message }),
        el('div', { className: 'btn-row' }, cancel, confirm)));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
    confirm.focus();
  });
}

function markCurrentNav() {
  for (const link of document.querySelectorAll('.site-nav a')) {
    if (link.getAttribute('href') === location.pathname) link.setAttribute('aria-current', 'page');
  }
}

// loginHref is the login page, returning to next after signing in.
export function loginHref(next = location.pathname + location.search) {
  return `/?next=${encodeURIComponent(next)}`;
}

// redirectToLogin sends a signed-out visitor to the login page.
export function redirectToLogin() {
  location.replace(loginHref());
}

async function logout() {
  try {
    await api('/api/auth', { method: 'DELETE' });
    location.assign('/');
  } catch (err) {
    showError(err);
  }
}

function renderAccount(user) {
  const area = document.querySelector('[data-account]');
  if (!area) return;
  if (user) {
    area.replaceChildren(
      el('span', { className: 'who' }, el('strong', { text: user.nickname }), '님'),
      el('button', { type: 'button', className: 'btn btn-secondary btn-small', text: '로그아웃', onclick: logout }),
    );
  } else {
    area.replaceChildren(
      el('a', { className: 'btn btn-secondary btn-small', href: loginHref(), text: '로그인' }),
      el('a', { className: 'btn btn-small', href: '/register.html', text: '회원가입' }),
    );
  }
}

// currentUser resolves with {email, nickname} or null when signed out.
export async function currentUser() {
  try {
    const data = await api('/api/users/me');
    return data.user ?? null;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

// never is a promise that does not settle: a page that is navigating away
// stops there.
export function never() {
  return new Promise(() => {});
}

// initPage starts the live connection, fills the header and resolves with
// the signed-in user (or null). With requireUser a signed-out visitor is
// sent to the login page instead.
export async function initPage({ requireUser = false } = {}) {
  markCurrentNav();
  startLive();
  let user;
  try {
    user = await currentUser();
  } catch (err) {
    showError(err);
    renderAccount(null);
    if (requireUser) return never();
    return null;
  }
  if (!user && requireUser) {
    redirectToLogin();
    return never();
  }
  renderAccount(user);
  document.documentElement.dataset.ready = 'true';
  return user;
}

// whileBusy disables a button while work runs and shows a busy label.
// Disabling a focused button drops the focus to the page; it is given back
// afterwards unless something else took it, so that a keyboard user stays
// where they were and a dialog opened next returns the focus there.
export async function whileBusy(button, busyText, work) {
  const text = button.textContent;
  const hadFocus = document.activeElement === button;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = busyText;
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = text;
    const now = document.activeElement;
    if (hadFocus && button.isConnected && (now === null || now === document.body)) button.focus();
  }
}
