// The live connection every page keeps: purchase toasts for BUY_GOODS and
// the number of people viewing the same page (SAME_PAGE_VIEWER_COUNT).
//
// The socket.io client is loaded with a dynamic import so that the shop's
// pages keep working, without the live parts, should it fail to load.
// <html data-live> tells the state of the connection ("connecting",
// "connected", "disconnected", "unavailable") and <html data-transport> its
// transport; `?transport=polling` in the page's URL forces HTTP long-polling.

const CLIENT_URL = '/vendor/socket.io.esm.min.js';
const TOAST_LIFETIME_MS = 5000;
const MAX_TOASTS = 4;

const viewerCountListeners = new Set();
let started = false;

// onViewerCount calls listener with each SAME_PAGE_VIEWER_COUNT number.
export function onViewerCount(listener) {
  viewerCountListeners.add(listener);
  return () => viewerCountListeners.delete(listener);
}

// pageKey is the page a socket announces with CHANGED_PAGE: path and query,
// without the transport switch, so that viewers on either transport count
// as viewers of the same page.
export function pageKey(loc = location) {
  const params = new URLSearchParams(loc.search);
  params.delete('transport');
  const query = params.toString();
  return loc.pathname + (query ? `?${query}` : '');
}

// startLive connects the page's socket once; later calls do nothing.
export function startLive() {
  if (started) return;
  started = true;
  const root = document.documentElement;
  root.dataset.live = 'connecting';
  const options = {};
  if (new URLSearchParams(location.search).get('transport') === 'polling') {
    options.transports = ['polling'];
  }
  import(CLIENT_URL)
    .then(({ io }) => connect(io, options, root))
    .catch((err) => {
      root.dataset.live = 'unavailable';
      console.warn('live updates unavailable:', err);
    });
}

function connect(io, options, root) {
  const socket = io(options);
  socket.on('connect', () => {
    const engine = socket.io.engine;
    root.dataset.transport = engine.transport.name;
    engine.once('upgrade', (transport) => { root.dataset.transport = transport.name; });
    socket.emit('CHANGED_PAGE', pageKey());
    root.dataset.live = 'connected';
  });
  socket.on('disconnect', () => { root.dataset.live = 'disconnected'; });
  socket.on('BUY_GOODS', showPurchaseToast);
  socket.on('SAME_PAGE_VIEWER_COUNT', (count) => {
    const n = Number(count);
    if (!Number.isFinite(n)) return;
    for (const listener of viewerCountListeners) listener(n);
  });
  return socket;
}

function toastStack() {
  let stack = document.getElementById('toasts');
  if (!stack) {
    stack = document.createElement('section');
    stack.id = 'toasts';
    stack.className = 'toasts';
    stack.setAttribute('aria-label', '실시간 구매 알림');
    stack.setAttribute('aria-live', 'polite');
    document.body.append(stack);
  }
  return stack;
}

const timeFormat = new Intl.DateTimeFormat('ko-KR', {
  hour: 'numeric', minute: '2-digit', second: '2-digit',
});

// showPurchaseToast shows "<nickname>님이 방금 <goods>을 구매했어요!" with
// the local time of the purchase. Every piece of the event is set as text.
export function showPurchaseToast(event) {
  if (!event || typeof event !== 'object') return;
  const nickname = String(event.nickname ?? '누군가');
  const goodsName = String(event.goodsName ?? '상품');
  let date = new Date(event.date);
  if (Number.isNaN(date.getTime())) date = new Date();

  const who = document.createElement('strong');
  who.className = 'toast-nickname';
  who.textContent = nickname;

  const link = document.createElement('a');
  link.className = 'toast-goods';
  link.textContent = goodsName;
  const goodsId = Number(event.goodsId);
  link.href = Number.isSafeInteger(goodsId) && goodsId > 0
    ? `/detail.html?goodsId=${goodsId}`
    : '/goods.html';

  const text = document.createElement('p');
  text.append(who, '님이 방금 ', link, '을 구매했어요!');

  const time = document.createElement('time');
  time.dateTime = date.toISOString();
  time.textContent = timeFormat.format(date);

  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'toast-close';
  close.setAttribute('aria-label', '알림 닫기');
  close.textContent = '×';

  const toast = document.createElement('div');
  toast.className = 'toast';
  toast.append(text, time, close);

  const stack = toastStack();
  stack.prepend(toast);
  while (stack.children.length > MAX_TOASTS) stack.lastElementChild.remove();

  // The toast stays while the pointer or the keyboard focus is on it.
  let timer = 0;
  let hovered = false;
  const dismiss = () => {
    clearTimeout(timer);
    if (toast.classList.contains('leaving')) return;
    toast.classList.add('leaving');
    setTimeout(() => toast.remove(), 200);
  };
  const arm = () => {
    clearTimeout(timer);
    if (hovered || toast.contains(document.activeElement)) return;
    timer = setTimeout(dismiss, TOAST_LIFETIME_MS);
  };
  toast.addEventListener('mouseenter', () => { hovered = true; clearTimeout(timer); });
  toast.addEventListener('mouseleave', () => { hovered = false; arm(); });
  toast.addEventListener('focusin', () => clearTimeout(timer));
  toast.addEventListener('focusout', () => setTimeout(arm, 0));
  close.addEventListener('click', dismiss);
  arm();
  return toast;
}
