// Shared helpers for the interop tests: which servers to test (from the
// environment), the official clients under test, and promise wrappers with
// timeouts so that a silent server fails a test instead of hanging it.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { io as ioV4 } from "socket.io-client";
import ioV3 from "socket.io-client-v3";

// ECHO_URL is a cmd/sio-echo server (Engine.IO echo at /engine.io/, Socket.IO
// echo at /socket.io/). ROOMS_URL is the server with rooms, middleware,
// server-side disconnects and connection state recovery described in
// README.md. Tests of a server whose variable is unset are skipped.
export const ECHO_URL = process.env.SIO_ECHO_URL || "";
// ECHO_CLIENTS_URL is the sio-echo the client scenarios use: it may run with
// a slower heartbeat than the protocol suites need, so that a loaded machine
// does not fail them with ping timeouts.
export const ECHO_CLIENTS_URL = process.env.SIO_ECHO_CLIENTS_URL || ECHO_URL;
export const ROOMS_URL = process.env.SIO_ROOMS_URL || "";

// STEP bounds every single wait; a whole scenario is bounded by TEST_TIMEOUT.
export const STEP = 5000;
export const TEST_TIMEOUT = 15000;

export const clients = [
  { name: "socket.io-client@4.8.4", major: 4, io: ioV4 },
  { name: "socket.io-client@3.0.1", major: 3, io: ioV3 },
];

export const transportModes = [
  // The client's default: HTTP long-polling first, then the upgrade.
  { name: "polling then websocket", opts: {}, expectUpgrade: true },
  { name: "websocket only", opts: { transports: ["websocket"] } },
  { name: "polling only", opts: { transports: ["polling"], upgrade: false } },
];

// withTimeout rejects with a message naming what was awaited when p does not
// settle within ms.
export function withTimeout(p, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms}ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

// once resolves with the arguments of the next `event` of emitter.
export function once(emitter, event, ms = STEP) {
  return withTimeout(
    new Promise((resolve) => emitter.once(event, (...args) => resolve(args))),
    ms,
    `event "${event}"`,
  );
}

// emitAck emits event with args and resolves with the acknowledgement's
// arguments. socket.io-client 3 has no emitWithAck, so both versions use a
// callback.
export function emitAck(socket, event, ...args) {
  return withTimeout(
    new Promise((resolve) => socket.emit(event, ...args, (...reply) => resolve(reply))),
    STEP,
    `the ack of "${event}"`,
  );
}

// connect opens a socket and resolves once it is connected; it rejects with
// the connect_error. The socket is disconnected when the test ends.
export async function connect(t, client, url, opts = {}) {
  const socket = open(t, client, url, opts);
  await connected(socket);
  return socket;
}

// open creates a socket with its own Manager (no sharing between tests) and
// schedules its disconnection at the end of the test. Every Engine.IO
// request of the socket carries a unique `tag` query parameter, by which a
// test server can find the TCP connections of one client.
export function open(t, client, url, opts = {}) {
  const socket = client.io(url, {
    forceNew: true,
    query: { tag: randomUUID() },
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
    randomizationFactor: 0,
    timeout: STEP,
    ...opts,
  });
  t.after(() => {
    socket.disconnect();
  });
  return socket;
}

// connected resolves on the socket's next connect and rejects on a
// connect_error.
export function connected(socket, ms = STEP) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const onConnect = () => {
        socket.off("connect_error", onError);
        resolve();
      };
      const onError = (err) => {
        socket.off("connect", onConnect);
        reject(err);
      };
      socket.once("connect", onConnect);
      socket.once("connect_error", onError);
    }),
    ms,
    "connect",
  );
}

// LOST_CONNECTION are the client's disconnect reasons when the server drops
// the connection: "transport close" when the transport ends cleanly (a
// WebSocket close, a close packet on polling), "transport error" when a
// long-poll request fails.
export const LOST_CONNECTION = ["transport close", "transport error"];

// connectError resolves with the next connect_error; a successful connect
// fails the test.
export function connectError(socket, ms = STEP) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const onConnect = () => {
        socket.off("connect_error", onError);
        reject(new Error("connected, want connect_error"));
      };
      const onError = (err) => {
        socket.off("connect", onConnect);
        resolve(err);
      };
      socket.once("connect", onConnect);
      socket.once("connect_error", onError);
    }),
    ms,
    "connect_error",
  );
}

// engineOf returns the Engine.IO client socket behind a Socket.IO socket.
export function engineOf(socket) {
  return socket.io.engine;
}

// assertTransport checks the transport the socket ends up on: with the
// default transports the upgrade to websocket must happen.
export async function assertTransport(socket, mode) {
  const engine = engineOf(socket);
  if (mode.expectUpgrade) {
    if (engine.transport.name !== "websocket") {
      await once(engine, "upgrade");
    }
    assert.equal(engine.transport.name, "websocket", "transport after upgrade");
    return;
  }
  const want = mode.opts.transports[0];
  assert.equal(engine.transport.name, want, "transport");
}

// bytes normalises a received binary value (Buffer, ArrayBuffer or typed
// array) to a Buffer so that it can be compared.
export function bytes(v) {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof ArrayBuffer) return Buffer.from(new Uint8Array(v));
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw new Error(`got ${Object.prototype.toString.call(v)}, want binary`);
}

// unique returns a name no other test uses, so that concurrent runs against
// the same server do not share rooms.
export function unique(prefix) {
  return `${prefix}-${randomUUID()}`;
}
