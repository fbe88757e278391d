// The shop's real-time contract, refereed by the official socket.io client:
// BUY from a signed-in socket, BUY_GOODS to everyone, anonymous refusal,
// viewer counts per page, and the origin policy.
//
// SHOP_URL names a running shop (http://127.0.0.1:PORT) with the seed
// catalogue.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';

const base = process.env.SHOP_URL;
assert.ok(base, 'SHOP_URL must name a running shop');

const open = [];
after(() => open.forEach((s) => s.disconnect()));

const isoMillis = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function api(method, path, body, cookie) {
  const headers = { 'Content-Type': 'application/json' };
  if (cookie) headers.Cookie = cookie;
  const res = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
  return { status: res.status, body: await res.json(), setCookie: res.headers.get('set-cookie') };
}

let seq = 0;
async function signIn() {
  const n = `${process.pid}${Date.now() % 100000}${seq++}`;
  const user = { email: `buyer${n}@example.com`, nickname: `buyer${n}`, password: 'correct-horse-9', confirmPassword: 'correct-horse-9' };
  const su = await api('POST', '/api/users', user);
  assert.equal(su.status, 201, JSON.stringify(su.body));
  const li = await api('POST', '/api/auth', { email: user.email, password: user.password });
  assert.equal(li.status, 200);
  const cookie = li.setCookie.split(';')[0];
  assert.match(cookie, /^Authorization=Bearer%20/);
  return { ...user, cookie, token: li.body.token };
}

function connect(opts = {}) {
  const s = io(base, { forceNew: true, reconnection: false, ...opts });
  open.push(s);
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

// collect records every event of the given name a socket receives.
function collect(socket, event) {
  const got = [];
  socket.on(event, (...args) => got.push(args));
  return got;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond, what, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

test('a signed-in BUY records one order and every client gets one BUY_GOODS with the real names', async () => {
  const buyer = await signIn();
  const buyerSocket = await connect({ extraHeaders: { Cookie: buyer.cookie } });
  const viaAuth = await connect({ auth: { token: `Bearer ${buyer.token}` }, transports: ['websocket'] });
  const anon = await connect();
  const polling = await connect({ transports: ['polling'] });
  const sockets = [buyerSocket, viaAuth, anon, polling];
  const received = sockets.map((s) => collect(s, 'BUY_GOODS'));

  const before = Date.now();
  const ack = await buyerSocket.timeout(5000).emitWithAck('BUY', { nickname: 'spoofed', goodsId: 2, goodsName: 'fake goods' });
  assert.equal(ack.errorMessage, undefined, JSON.stringify(ack));
  assert.equal(ack.order.items.length, 1);
  assert.equal(ack.order.items[0].name, '카페라떼');

  await waitFor(() => received.every((r) => r.length >= 1), 'BUY_GOODS on every client');
  await sleep(300); // a second, duplicate delivery would arrive by now
  for (const r of received) {
    assert.equal(r.length, 1, `got ${r.length} BUY_GOODS, want 1`);
    const [ev] = r[0];
    assert.deepEqual(Object.keys(ev), ['nickname', 'goodsId', 'goodsName', 'date']);
    assert.equal(ev.nickname, buyer.nickname);
    assert.equal(ev.goodsId, 2);
    assert.equal(ev.goodsName, '카페라떼');
    assert.match(ev.date, isoMillis);
    const at = Date.parse(ev.date);
    assert.ok(at >= before - 1000 && at <= Date.now() + 1000, `date ${ev.date} is not the server's now`);
  }

  const orders = await api('GET', '/api/orders', undefined, buyer.cookie);
  assert.equal(orders.status, 200);
  assert.equal(orders.body.orders.length, 1);
  assert.equal(orders.body.orders[0].items[0].goodsId, 2);
});

test('an order through POST /api/orders is announced too, with the multi-item name', async () => {
  const buyer = await signIn();
  const watcher = await connect();
  const got = collect(watcher, 'BUY_GOODS');
  const res = await api('POST', '/api/orders', { items: [{ goodsId: 4, quantity: 2 }, { goodsId: 1, quantity: 1 }, { goodsId: 8, quantity: 1 }] }, buyer.cookie);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  await waitFor(() => got.length === 1, 'BUY_GOODS');
  assert.equal(got[0][0].nickname, buyer.nickname);
  assert.equal(got[0][0].goodsId, 4);
  assert.equal(got[0][0].goodsName, '크루아상 외 2개의 상품');
});

test('an anonymous BUY and a BUY of unknown goods are refused and broadcast nothing', async () => {
  const anon = await connect();
  const buyer = await signIn();
  const buyerSocket = await connect({ extraHeaders: { Cookie: buyer.cookie } });
  const watcher = await connect();
  const got = collect(watcher, 'BUY_GOODS');

  const refused = await anon.timeout(5000).emitWithAck('BUY', { nickname: buyer.nickname, goodsId: 1, goodsName: '아메리카노' });
  assert.equal(refused.errorMessage, '로그인 후 이용 가능한 기능입니다.');
  const unknown = await buyerSocket.timeout(5000).emitWithAck('BUY', { goodsId: 99999 });
  assert.equal(typeof unknown.errorMessage, 'string');
  assert.equal(unknown.order, undefined);
  const bad = await buyerSocket.timeout(5000).emitWithAck('BUY', { goodsId: { $gt: 0 } });
  assert.equal(typeof bad.errorMessage, 'string');

  await sleep(500);
  assert.equal(got.length, 0, `got ${got.length} BUY_GOODS, want none`);
  const orders = await api('GET', '/api/orders', undefined, buyer.cookie);
  assert.equal(orders.body.orders.length, 0);
});

test('viewer counts follow page changes and disconnects', async () => {
  const page = `/detail.html?goodsId=3&t=${Date.now()}`;
  const [a, b, c] = await Promise.all([connect(), connect(), connect({ transports: ['polling'] })]);
  const counts = [a, b, c].map((s) => collect(s, 'SAME_PAGE_VIEWER_COUNT'));
  const last = (i) => counts[i].at(-1)?.[0];

  a.emit('CHANGED_PAGE', page);
  await waitFor(() => last(0) === 1, 'a sees 1');
  b.emit('CHANGED_PAGE', page);
  await waitFor(() => last(0) === 2 && last(1) === 2, 'a and b see 2');
  c.emit('CHANGED_PAGE', page);
  await waitFor(() => last(0) === 3 && last(1) === 3 && last(2) === 3, 'all see 3');

  b.emit('CHANGED_PAGE', '/goods.html');
  await waitFor(() => last(0) === 2 && last(2) === 2 && last(1) === 1, 'b left: a and c see 2, b alone on goods');
  c.disconnect();
  await waitFor(() => last(0) === 1, 'c disconnected: a sees 1');
  assert.equal(last(1), 1, 'b on another page is not told about a\'s page');
});

test('a handshake from a foreign origin is refused', async () => {
  for (const transports of [['polling'], ['websocket']]) {
    await assert.rejects(connect({ transports, extraHeaders: { Origin: 'http://evil.example' } }), `transports ${transports}`);
  }
  const own = await connect({ extraHeaders: { Origin: base } });
  assert.ok(own.connected);
});
