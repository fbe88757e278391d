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
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text, setCookie: res.headers.get('set-cookie') };
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

// settle places a barrier order through POST /api/orders and returns, for
// each BUY_GOODS collector, what it received before the barrier's
// announcement. A client receives the server's packets in order, so a
// duplicate or stray announcement of anything earlier has arrived by then:
// counting what came before the barrier needs no guess at a delay.
let barrierUser;
async function settle(received) {
  barrierUser ??= await signIn();
  const res = await api('POST', '/api/orders', { items: [{ goodsId: 1, quantity: 1 }] }, barrierUser.cookie);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  const at = (r) => r.findIndex(([ev]) => ev.nickname === barrierUser.nickname);
  await waitFor(() => received.every((r) => at(r) >= 0), 'the barrier order\'s BUY_GOODS on every client');
  return received.map((r) => r.slice(0, at(r)).map(([ev]) => ev));
}

// checkAnnouncement asserts the shape and the server-side date of one
// BUY_GOODS payload.
function checkAnnouncement(ev, since) {
  assert.deepEqual(Object.keys(ev), ['nickname', 'goodsId', 'goodsName', 'date']);
  assert.match(ev.date, isoMillis);
  const at = Date.parse(ev.date);
  assert.ok(at >= since - 1000 && at <= Date.now() + 1000, `date ${ev.date} is not the server's now`);
}

test('a signed-in BUY records one order and every client gets one BUY_GOODS with the real names', async () => {
  const buyer = await signIn();
  // tokenUser signs in through the Socket.IO auth token only: the
  // WebSocket-only client carries no cookie.
  const tokenUser = await signIn();
  const buyerSocket = await connect({ extraHeaders: { Cookie: buyer.cookie } });
  const viaAuth = await connect({ auth: { token: `Bearer ${tokenUser.token}` }, transports: ['websocket'] });
  const anon = await connect();
  const polling = await connect({ transports: ['polling'] });
  const sockets = [buyerSocket, viaAuth, anon, polling];
  const received = sockets.map((s) => collect(s, 'BUY_GOODS'));

  const before = Date.now();
  const ack = await buyerSocket.timeout(5000).emitWithAck('BUY', { nickname: 'spoofed', goodsId: 2, goodsName: 'fake goods' });
  assert.equal(ack.errorMessage, undefined, JSON.stringify(ack));
  assert.equal(ack.order.items.length, 1);
  assert.equal(ack.order.items[0].name, '카페라떼');
  await waitFor(() => received.every((r) => r.length >= 1), 'BUY_GOODS of the cookie BUY on every client');

  // The spoofed nickname is the cookie buyer's: only the token's user may
  // appear in the announcement.
  const tokenAck = await viaAuth.timeout(5000).emitWithAck('BUY', { nickname: buyer.nickname, goodsId: 1, goodsName: 'fake goods' });
  assert.equal(tokenAck.errorMessage, undefined, JSON.stringify(tokenAck));
  assert.equal(typeof tokenAck.order.orderId, 'string');
  assert.deepEqual(tokenAck.order.items, [{ goodsId: 1, name: '아메리카노', price: 4500, quantity: 1 }]);

  const settled = await settle(received);
  settled.forEach((evs, i) => {
    const got = evs.map((ev) => [ev.nickname, ev.goodsId, ev.goodsName]);
    assert.deepEqual(got, [[buyer.nickname, 2, '카페라떼'], [tokenUser.nickname, 1, '아메리카노']], `client ${i}: got ${JSON.stringify(got)}`);
    evs.forEach((ev) => checkAnnouncement(ev, before));
  });

  const orders = await api('GET', '/api/orders', undefined, buyer.cookie);
  assert.equal(orders.status, 200);
  assert.equal(orders.body.orders.length, 1);
  assert.equal(orders.body.orders[0].items[0].goodsId, 2);
  const tokenOrders = await api('GET', '/api/orders', undefined, tokenUser.cookie);
  assert.equal(tokenOrders.status, 200);
  assert.deepEqual(tokenOrders.body.orders.map((o) => o.orderId), [tokenAck.order.orderId]);
});

test('a BUY of {goodsId, quantity} records that quantity and the exact total', async () => {
  const buyer = await signIn();
  const buyerSocket = await connect({ extraHeaders: { Cookie: buyer.cookie } });
  const ws = await connect({ transports: ['websocket'] });
  const polling = await connect({ transports: ['polling'] });
  const received = [buyerSocket, ws, polling].map((s) => collect(s, 'BUY_GOODS'));

  const before = Date.now();
  const cases = [
    { payload: { goodsId: '3', quantity: 2 }, items: [{ goodsId: 3, name: '녹차라떼', price: 5500, quantity: 2 }], total: 11000 },
    { payload: { goodsId: 5, quantity: 3 }, items: [{ goodsId: 5, name: '치즈케이크', price: 6200, quantity: 3 }], total: 18600 },
  ];
  const acks = [];
  for (const [i, c] of cases.entries()) {
    const ack = await buyerSocket.timeout(5000).emitWithAck('BUY', c.payload);
    assert.equal(ack.errorMessage, undefined, JSON.stringify(ack));
    assert.deepEqual(ack.order.items, c.items);
    assert.equal(ack.order.total, c.total);
    acks.push(ack);
    await waitFor(() => received.every((r) => r.length >= i + 1), `BUY_GOODS of ${JSON.stringify(c.payload)} on every client`);
  }

  const settled = await settle(received);
  settled.forEach((evs, i) => {
    const got = evs.map((ev) => [ev.nickname, ev.goodsId, ev.goodsName]);
    assert.deepEqual(got, [[buyer.nickname, 3, '녹차라떼'], [buyer.nickname, 5, '치즈케이크']], `client ${i}: got ${JSON.stringify(got)}`);
    evs.forEach((ev) => checkAnnouncement(ev, before));
  });

  const orders = await api('GET', '/api/orders', undefined, buyer.cookie);
  assert.equal(orders.status, 200);
  assert.equal(orders.body.orders.length, cases.length);
  for (const [i, c] of cases.entries()) {
    const order = orders.body.orders.find((o) => o.orderId === acks[i].order.orderId);
    assert.ok(order, `order ${acks[i].order.orderId} of ${JSON.stringify(c.payload)} is not listed`);
    assert.deepEqual(order.items, c.items);
    assert.equal(order.total, c.total);
    // JSON.parse reads 11000.0 and 11000 alike; the wire must carry the
    // number as the original rendered it.
    assert.match(orders.text, new RegExp(`"total":${c.total}[,}]`), `total ${c.total} is not written as ${c.total}`);
  }
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

  const [before] = await settle([got]);
  assert.equal(before.length, 0, `got ${JSON.stringify(before)} BUY_GOODS, want none`);
  const orders = await api('GET', '/api/orders', undefined, buyer.cookie);
  assert.equal(orders.body.orders.length, 0);
});

test('viewer counts follow page changes and disconnects', async () => {
  const page = `/detail.html?goodsId=3&t=${Date.now()}`;
  const other = `/goods.html?t=${Date.now()}`;
  const [a, b, c, d, e, f] = await Promise.all([
    connect(), connect(), connect({ transports: ['polling'] }), connect({ transports: ['websocket'] }), connect(), connect(),
  ]);
  const counts = [a, b, c, d, e, f].map((s) => collect(s, 'SAME_PAGE_VIEWER_COUNT'));
  const last = (i) => counts[i].at(-1)?.[0];

  a.emit('CHANGED_PAGE', page);
  await waitFor(() => last(0) === 1, 'a sees 1');
  b.emit('CHANGED_PAGE', page);
  await waitFor(() => last(0) === 2 && last(1) === 2, 'a and b see 2');
  c.emit('CHANGED_PAGE', page);
  await waitFor(() => last(0) === 3 && last(1) === 3 && last(2) === 3, 'all see 3');

  b.emit('CHANGED_PAGE', other);
  await waitFor(() => last(0) === 2 && last(2) === 2 && last(1) === 1, 'b left: a and c see 2, b alone on the other page');
  d.emit('CHANGED_PAGE', page);
  await waitFor(() => last(0) === 3 && last(2) === 3 && last(3) === 3, 'd joined: a, c and d see 3');

  const seenByB = counts[1].length;
  c.disconnect();
  await waitFor(() => last(0) === 2 && last(3) === 2, 'c disconnected: a and d see 2');
  // Two sockets join b's page; b's 3 can only come from the second, and a
  // count about c's page (2) sent to b would have arrived before both.
  e.emit('CHANGED_PAGE', other);
  await waitFor(() => last(4) === 2, 'e joined the other page');
  f.emit('CHANGED_PAGE', other);
  await waitFor(() => last(1) === 3 && last(4) === 3 && last(5) === 3, 'f joined: b, e and f see 3');
  const toB = counts[1].slice(seenByB).map(([n]) => n);
  assert.deepEqual(toB, [2, 3], `b got ${JSON.stringify(toB)} since c disconnected, want only its own page's [2, 3]`);
});

test('a handshake from a foreign origin is refused', async () => {
  for (const transports of [['polling'], ['websocket']]) {
    await assert.rejects(connect({ transports, extraHeaders: { Origin: 'http://evil.example' } }), `transports ${transports}`);
    // The shop's own origin passes over the same transport, so the refusal
    // above is the policy's and not the transport's.
    const own = await connect({ transports, extraHeaders: { Origin: base } });
    assert.ok(own.connected, `transports ${transports}`);
    assert.equal(own.io.engine.transport.name, transports[0]);
  }
  const upgraded = await connect({ extraHeaders: { Origin: base } });
  assert.ok(upgraded.connected);
});
