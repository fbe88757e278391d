// A Node socket.io 4.8 server with @socket.io/redis-adapter and our Go
// server (internal/realtime with internal/realtime/redisadapter) share one
// Redis. The official socket.io-client, connected to either server, checks
// that broadcasts, rooms, fetchSockets, socketsJoin, disconnectSockets,
// broadcasts with acknowledgements and server-side emits cross between the
// two both ways.
//
// REDIS_URL names the Redis (redis://127.0.0.1:PORT); GO_SIO_URL the Go
// server, whose test events (go-emit, go-server-emit, go-fetch, go-join,
// go-disconnect, go-ask) are described in internal/realtime/redisadapter/interop_test.go.
// `go test -run TestNodeInterop ./internal/realtime/redisadapter/` starts
// both and runs this file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';

const REDIS_URL = process.env.REDIS_URL;
const GO_URL = process.env.GO_SIO_URL;
assert.ok(REDIS_URL && GO_URL, 'REDIS_URL and GO_SIO_URL must be set');

const STEP = 5000;

function withTimeout(p, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms}ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let io; // the Node server
let NODE_URL;
let pub;
let sub;

before(async () => {
  pub = createClient({ url: REDIS_URL });
  sub = pub.duplicate();
  pub.on('error', (err) => console.error('redis pub:', err.message));
  sub.on('error', (err) => console.error('redis sub:', err.message));
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  io = new Server(http, { adapter: createAdapter(pub, sub) });
  // As on the Go server: join the "room" query parameters, keep "name" as data.
  io.use((socket, next) => {
    const q = socket.handshake.query;
    for (const r of [].concat(q.room ?? [])) socket.join(r);
    if (q.name) socket.data.name = q.name;
    next();
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  NODE_URL = `http://127.0.0.1:${http.address().port}`;
  // Both servers subscribed: the Node adapter subscribes asynchronously.
  const end = Date.now() + STEP;
  for (;;) {
    const [, n] = await pub.sendCommand(['PUBSUB', 'NUMSUB', 'socket.io-request#/#']);
    if (Number(n) === 2) break;
    if (Date.now() > end) throw new Error(`got ${n} servers subscribed, want 2`);
    await sleep(10);
  }
});

after(async () => {
  await new Promise((resolve) => io.close(resolve));
  await Promise.all([pub.quit(), sub.quit()]);
});

// connect opens a client on url, disconnected when test t ends. Every
// event it receives but "ask" is queued for next(); "ask" is acknowledged
// with "ok-<id>".
async function connect(t, url, query = {}) {
  const s = ioClient(url, { forceNew: true, reconnection: false, transports: ['websocket'], query });
  t.after(() => s.disconnect());
  s.queue = [];
  s.waiters = [];
  s.onAny((...ev) => {
    if (ev[0] === 'ask') return;
    const w = s.waiters.shift();
    if (w) w(ev);
    else s.queue.push(ev);
  });
  s.on('ask', (ack) => ack(`ok-${s.id}`));
  await withTimeout(
    new Promise((resolve, reject) => {
      s.once('connect', resolve);
      s.once('connect_error', reject);
    }),
    STEP,
    `connect to ${url}`,
  );
  return s;
}

// next resolves with the next event the client received: [name, ...args].
function next(s) {
  if (s.queue.length > 0) return Promise.resolve(s.queue.shift());
  return withTimeout(new Promise((resolve) => s.waiters.push(resolve)), STEP, `an event on ${s.id}`);
}

// goCall asks the Go server, through client s, to act; it resolves with the
// acknowledgement and fails on {error}.
async function goCall(s, event, req) {
  const res = await s.timeout(2 * STEP).emitWithAck(event, req);
  assert.equal(res?.error, undefined, `${event}: ${res?.error}`);
  return res;
}

const bytes = (b) => [...new Uint8Array(b)];

test('a broadcast from Go reaches the clients of Node, and one from Node those of Go', async (t) => {
  const n = await connect(t, NODE_URL);
  const g = await connect(t, GO_URL);

  await goCall(g, 'go-emit', { event: 'from-go', args: [1, 'two', 2.5, null, { b: 1, a: [true, '한'] }] });
  for (const c of [n, g]) {
    const ev = await next(c);
    assert.deepEqual(ev, ['from-go', 1, 'two', 2.5, null, { b: 1, a: [true, '한'] }]);
    assert.deepEqual(Object.keys(ev[5]), ['b', 'a'], 'key order');
  }

  io.emit('from-node', 1, 'two', 2.5, null, { z: 1, a: [false] }, new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678)));
  for (const c of [n, g]) {
    const ev = await next(c);
    assert.deepEqual(ev, ['from-node', 1, 'two', 2.5, null, { z: 1, a: [false] }, '2024-01-02T03:04:05.678Z']);
    assert.deepEqual(Object.keys(ev[5]), ['z', 'a'], 'key order');
  }
});

test('server-side emits cross both ways, in order', async (t) => {
  const g = await connect(t, GO_URL);
  // The Go server passes "node-says" on to its clients as "go-heard".
  io.serverSideEmit('node-says', 1, { b: 1, a: ['한', null] });
  io.serverSideEmit('node-says', 'second');
  assert.deepEqual(await next(g), ['go-heard', 1, { b: 1, a: ['한', null] }]);
  assert.deepEqual(await next(g), ['go-heard', 'second']);

  const heard = [];
  let wake;
  const listener = (...args) => {
    heard.push(args);
    wake?.();
  };
  io.on('go-says', listener);
  t.after(() => io.off('go-says', listener));
  await goCall(g, 'go-server-emit', { event: 'go-says', args: [2.5, { z: true, a: 'x' }] });
  await goCall(g, 'go-server-emit', { event: 'go-says', args: [] });
  await withTimeout(
    new Promise((resolve) => {
      wake = () => heard.length >= 2 && resolve();
      wake();
    }),
    STEP,
    'the Go server-side emits',
  );
  assert.deepEqual(heard, [[2.5, { z: true, a: 'x' }], []]);
  assert.deepEqual(Object.keys(heard[0][1]), ['z', 'a'], 'key order');
  assert.equal(g.queue.length, 0, 'a server-side emit reached a client');
});

test('binary data crosses both ways', async (t) => {
  const n = await connect(t, NODE_URL);
  const g = await connect(t, GO_URL);

  await goCall(g, 'go-emit', { event: 'bin-go', args: ['x'], binary: Buffer.from([0, 1, 255]).toString('base64') });
  for (const c of [n, g]) {
    const [ev, x, b] = await next(c);
    assert.deepEqual([ev, x, bytes(b)], ['bin-go', 'x', [0, 1, 255]]);
  }

  io.emit('bin-node', { file: Buffer.from([7, 8]), name: 'f' });
  for (const c of [n, g]) {
    const [ev, obj] = await next(c);
    assert.deepEqual([ev, bytes(obj.file), obj.name], ['bin-node', [7, 8], 'f']);
  }
});

// After each broadcast the same server emits a marker to everyone: a client
// that is not a target gets the marker first, since each server publishes
// in order and delivers what it receives in order.
test('room broadcasts, except and local stay within their selection across servers', async (t) => {
  const clients = {
    'node-r': await connect(t, NODE_URL, { room: 'r' }),
    node: await connect(t, NODE_URL),
    'go-r': await connect(t, GO_URL, { room: 'r' }),
    go: await connect(t, GO_URL),
  };
  const goEmit = (req) => goCall(clients.go, 'go-emit', req);
  const cases = [
    { name: 'room from Go', emit: () => goEmit({ event: 'e', rooms: ['r'] }), from: 'go', reached: ['node-r', 'go-r'] },
    { name: 'room from Node', emit: () => io.to('r').emit('e'), from: 'node', reached: ['node-r', 'go-r'] },
    { name: 'except from Go', emit: () => goEmit({ event: 'e', except: ['r'] }), from: 'go', reached: ['node', 'go'] },
    { name: 'except from Node', emit: () => io.except('r').emit('e'), from: 'node', reached: ['node', 'go'] },
    { name: 'local on Go', emit: () => goEmit({ event: 'e', local: true }), from: 'go', reached: ['go-r', 'go'] },
    { name: 'local on Node', emit: () => io.local.emit('e'), from: 'node', reached: ['node-r', 'node'] },
  ];
  let i = 0;
  for (const c of cases) {
    await c.emit();
    i++;
    if (c.from === 'go') await goEmit({ event: 'marker', args: [i] });
    else io.emit('marker', i);
    for (const [name, client] of Object.entries(clients)) {
      if (c.reached.includes(name)) assert.deepEqual(await next(client), ['e'], `${c.name}: ${name}`);
      assert.deepEqual(await next(client), ['marker', i], `${c.name}: ${name}`);
    }
  }
});

test('fetchSockets, socketsJoin and allRooms see the sockets of both servers', async (t) => {
  const n = await connect(t, NODE_URL, { room: 'f', name: 'n1' });
  const g = await connect(t, GO_URL, { room: 'f', name: 'g1' });
  const ids = [n.id, g.id].sort();

  assert.equal(await io.of('/').adapter.serverCount(), 2);

  const fromNode = await io.in('f').fetchSockets();
  assert.deepEqual(fromNode.map((s) => s.id).sort(), ids);
  const gs = fromNode.find((s) => s.id === g.id);
  assert.deepEqual(gs.data, { name: 'g1' });
  assert.deepEqual([...gs.rooms].sort(), [g.id, 'f'].sort());
  assert.equal(gs.handshake.query.name, 'g1');
  assert.equal(typeof gs.handshake.issued, 'number');
  assert.equal(gs.handshake.headers.upgrade, 'websocket');

  const fromGo = await goCall(g, 'go-fetch', { rooms: ['f'] });
  assert.deepEqual(fromGo.map((s) => s.id).sort(), ids);
  const ns = fromGo.find((s) => s.id === n.id);
  assert.deepEqual(ns.data, { name: 'n1' });
  assert.deepEqual(ns.rooms.sort(), [n.id, 'f'].sort());
  assert.equal(ns.query.name, 'n1');

  const rooms = await io.of('/').adapter.allRooms();
  for (const r of [n.id, g.id, 'f']) assert.ok(rooms.has(r), `allRooms has ${r}`);

  // Node makes the Go socket join a room, then broadcasts to it.
  io.in(g.id).socketsJoin('joined-by-node');
  io.to('joined-by-node').emit('jn');
  assert.deepEqual(await next(g), ['jn']);

  // Go makes the Node socket join a room, then broadcasts to it.
  await goCall(g, 'go-join', { event: 'joined-by-go', rooms: [n.id] });
  await goCall(g, 'go-emit', { event: 'jg', rooms: ['joined-by-go'] });
  assert.deepEqual(await next(n), ['jg']);
});

test('broadcasts with acknowledgements collect the answers of both servers', async (t) => {
  const n = await connect(t, NODE_URL, { room: 'ask' });
  const g = await connect(t, GO_URL, { room: 'ask' });
  const want = [`ok-${n.id}`, `ok-${g.id}`].sort();

  const fromNode = await io.to('ask').timeout(STEP).emitWithAck('ask');
  assert.deepEqual(fromNode.sort(), want);

  const fromGo = await goCall(g, 'go-ask', { event: 'ask', rooms: ['ask'] });
  assert.deepEqual(fromGo.sort(), want);
});

test('disconnectSockets crosses both ways', async (t) => {
  const n = await connect(t, NODE_URL);
  const g = await connect(t, GO_URL);
  const g2 = await connect(t, GO_URL);

  const gone = new Promise((resolve) => g.once('disconnect', resolve));
  io.in(g.id).disconnectSockets();
  assert.equal(await withTimeout(gone, STEP, 'the Go socket to disconnect'), 'io server disconnect');

  const nGone = new Promise((resolve) => n.once('disconnect', resolve));
  await goCall(g2, 'go-disconnect', { rooms: [n.id] });
  assert.equal(await withTimeout(nGone, STEP, 'the Node socket to disconnect'), 'io server disconnect');
  assert.ok(g2.connected, 'the other Go socket stays');
});
