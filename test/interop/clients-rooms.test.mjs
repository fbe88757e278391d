// The official clients against the rooms server (README.md): acks requested
// by the server, middleware refusals, room broadcasts, server-side
// disconnects with reconnection, and connection state recovery.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  LOST_CONNECTION,
  ROOMS_URL,
  TEST_TIMEOUT,
  assertTransport,
  bytes,
  clients,
  connect,
  connectError,
  connected,
  emitAck,
  once,
  open,
  transportModes,
  unique,
} from "./support.mjs";

const skip = ROOMS_URL ? false : "SIO_ROOMS_URL is not set";
const opts = { timeout: TEST_TIMEOUT };

for (const client of clients) {
  describe(`${client.name} against the rooms server`, { skip }, () => {
    for (const mode of transportModes) {
      describe(mode.name, () => {
        test("the server's event is acknowledged by the client", opts, async (t) => {
          const socket = await connect(t, client, ROOMS_URL, mode.opts);
          await assertTransport(socket, mode);
          socket.on("question", (payload, ack) => {
            ack({ got: payload, bin: Buffer.from([1, 2]) });
          });
          const [reply] = await emitAck(socket, "ask", { q: 42 });
          assert.equal(reply.error, undefined, `server ack failed: ${reply.error}`);
          assert.deepEqual(reply.answer.got, { q: 42 });
          assert.deepEqual(bytes(reply.answer.bin), Buffer.from([1, 2]));
        });

        test("a refusing middleware surfaces as connect_error with message and data", opts, async (t) => {
          const socket = open(t, client, `${ROOMS_URL}/guarded`, { ...mode.opts, auth: { token: "wrong" } });
          const err = await connectError(socket);
          assert.equal(err.message, "not authorized");
          assert.deepEqual(err.data, { code: 4001, reason: "token missing" });
        });

        test("an event named by a number reaches the listener of its string", opts, async (t) => {
          const socket = await connect(t, client, ROOMS_URL, mode.opts);
          assert.deepEqual(await emitAck(socket, 42, "x", { n: 1 }), ["42", "x", { n: 1 }]);
        });

        test("the middleware lets an authorised client through", opts, async (t) => {
          const socket = await connect(t, client, `${ROOMS_URL}/guarded`, { ...mode.opts, auth: { token: "letmein" } });
          assert.deepEqual(await emitAck(socket, "echo", "in"), ["in"]);
        });

        test("an unknown namespace surfaces as connect_error", opts, async (t) => {
          const socket = open(t, client, `${ROOMS_URL}/nowhere`, mode.opts);
          const err = await connectError(socket);
          assert.equal(err.message, "Invalid namespace");
        });

        test("a room broadcast reaches its members only", opts, async (t) => {
          const room = unique("room");
          const [a, b, outsider, other] = await Promise.all(
            [0, 1, 2, 3].map(() => connect(t, client, ROOMS_URL, mode.opts)),
          );
          assert.deepEqual(await emitAck(a, "join", room), [true]);
          assert.deepEqual(await emitAck(b, "join", room), [true]);
          assert.deepEqual(await emitAck(other, "join", unique("other")), [true]);
          const [rooms] = await emitAck(a, "rooms");
          assert.deepEqual(rooms, [a.id, room].sort());

          const seen = { outsider: 0, other: 0 };
          outsider.on("news", () => seen.outsider++);
          other.on("news", () => seen.other++);
          const gotA = once(a, "news");
          const gotB = once(b, "news");
          assert.deepEqual(await emitAck(outsider, "room-emit", room, "news", { n: 1 }), [true]);
          assert.deepEqual((await gotA)[0], { n: 1 });
          assert.deepEqual((await gotB)[0], { n: 1 });
          // A connection delivers in order: had the broadcast been sent to
          // `outsider`, it would have arrived before the ack above; a round
          // trip on `other` proves the same for it.
          await emitAck(other, "echo");
          assert.deepEqual(seen, { outsider: 0, other: 0 });
        });

        test("a broadcast with acks collects every member's acknowledgement", opts, async (t) => {
          const room = unique("ask");
          const members = await Promise.all([0, 1, 2].map(() => connect(t, client, ROOMS_URL, mode.opts)));
          const outsider = await connect(t, client, ROOMS_URL, mode.opts);
          for (const m of members) {
            assert.deepEqual(await emitAck(m, "join", room), [true]);
            m.on("question", (payload, ack) => ack(`${m.id}:${payload}`));
          }
          let asked = 0;
          outsider.on("question", () => asked++);
          const [reply] = await emitAck(outsider, "room-ask", room, "q");
          assert.equal(reply.error, undefined, `server ack failed: ${reply.error}`);
          assert.deepEqual(reply.answers.sort(), members.map((m) => `${m.id}:q`).sort());
          assert.equal(asked, 0);
        });

        test("a connection dropped by the server is followed by the client's reconnection", opts, async (t) => {
          const socket = await connect(t, client, ROOMS_URL, mode.opts);
          await assertTransport(socket, mode);
          const firstID = socket.id;
          const disconnect = once(socket, "disconnect");
          const reconnect = once(socket.io, "reconnect");
          const again = once(socket, "connect");
          socket.emit("drop");
          const [reason] = await disconnect;
          assert.ok(LOST_CONNECTION.includes(reason), `got reason ${reason}, want one of ${LOST_CONNECTION}`);
          await reconnect;
          await again;
          assert.equal(socket.connected, true);
          assert.notEqual(socket.id, undefined);
          assert.deepEqual(await emitAck(socket, "echo", "after"), ["after"]);
          if (client.major < 4) {
            // No recovery in protocol clients before 4.6: a new session.
            assert.notEqual(socket.id, firstID);
          }
        });

        test("a server-side namespace disconnect is not retried; a manual connect works", opts, async (t) => {
          const socket = await connect(t, client, ROOMS_URL, mode.opts);
          const disconnect = once(socket, "disconnect");
          socket.emit("kick");
          const [reason] = await disconnect;
          assert.equal(reason, "io server disconnect");
          assert.equal(socket.connected, false);
          const again = connected(socket);
          socket.connect();
          await again;
          assert.deepEqual(await emitAck(socket, "echo", 1), [1]);
        });

        if (client.major >= 4) {
          test("connection state recovery restores id, rooms and missed events", opts, async (t) => {
            const room = unique("recover");
            const socket = await connect(t, client, ROOMS_URL, mode.opts);
            await assertTransport(socket, mode);
            assert.equal(socket.recovered, false);
            const firstID = socket.id;
            assert.deepEqual(await emitAck(socket, "join", room), [true]);
            assert.deepEqual(await emitAck(socket, "set-data", "cart", { items: [1, 2] }), [true]);

            // The client needs one broadcast packet to know its offset.
            const before = once(socket, "news");
            await emitAck(socket, "room-emit", room, "news", "before");
            assert.equal((await before)[0], "before");

            const engine = socket.io.engine;
            if (engine.transport.name === "polling") {
              // When no poll is pending at the moment the connection drops,
              // the server notices only at its ping timeout, and a session
              // is recovered only once the server knows it is gone: come
              // back after that, as a client with a real outage would.
              const heartbeat = (engine._pingInterval ?? engine.pingInterval) + (engine._pingTimeout ?? engine.pingTimeout);
              assert.ok(heartbeat > 0, "ping settings of the Engine.IO client");
              socket.io.reconnectionDelay(heartbeat + 500);
              socket.io.reconnectionDelayMax(heartbeat + 500);
            }
            const disconnect = once(socket, "disconnect");
            const missed = once(socket, "news", 10000);
            const again = once(socket, "connect", 10000);
            socket.emit("drop-and-broadcast", room, "news", "missed");
            const [reason] = await disconnect;
            assert.ok(LOST_CONNECTION.includes(reason), `got reason ${reason}, want one of ${LOST_CONNECTION}`);
            await again;
            assert.equal(socket.recovered, true, "socket.recovered");
            assert.equal(socket.id, firstID);
            assert.equal((await missed)[0], "missed");
            const [rooms] = await emitAck(socket, "rooms");
            assert.deepEqual(rooms, [firstID, room].sort());
            assert.deepEqual(await emitAck(socket, "get-data", "cart"), [{ items: [1, 2] }]);
          });

        }
      });
    }
  });
}
