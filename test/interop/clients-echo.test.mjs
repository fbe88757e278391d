// The official clients against cmd/sio-echo: handshake auth, events, acks,
// binary payloads and namespaces, over each transport setup.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ECHO_CLIENTS_URL,
  STEP,
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
  withTimeout,
} from "./support.mjs";

const skip = ECHO_CLIENTS_URL ? false : "neither SIO_ECHO_CLIENTS_URL nor SIO_ECHO_URL is set";
const opts = { timeout: TEST_TIMEOUT };

// JSON values of every kind, including non-ASCII text, which the polling
// transport must carry intact.
const plain = [1, "2", { 3: [true, false, null] }, 4.5, "héllo ☃ 🚀", [], {}];

for (const client of clients) {
  describe(`${client.name} against sio-echo`, { skip }, () => {
    for (const mode of transportModes) {
      describe(mode.name, () => {
        test("connects and receives its handshake auth", opts, async (t) => {
          const socket = open(t, client, ECHO_CLIENTS_URL, { ...mode.opts, auth: { token: "abc", n: 1 } });
          const auth = once(socket, "auth");
          await connected(socket);
          assert.equal(typeof socket.id, "string");
          assert.deepEqual((await auth)[0], { token: "abc", n: 1 });
          await assertTransport(socket, mode);
        });

        test("receives {} as auth when none is sent", opts, async (t) => {
          const socket = open(t, client, ECHO_CLIENTS_URL, mode.opts);
          const auth = once(socket, "auth");
          await connected(socket);
          assert.deepEqual((await auth)[0], {});
        });

        test("message is answered with message-back and the same arguments", opts, async (t) => {
          const socket = await connect(t, client, ECHO_CLIENTS_URL, mode.opts);
          await assertTransport(socket, mode);
          const back = once(socket, "message-back");
          socket.emit("message", ...plain);
          assert.deepEqual(await back, plain);
        });

        test("a burst of events arrives complete and in order", opts, async (t) => {
          const socket = await connect(t, client, ECHO_CLIENTS_URL, mode.opts);
          const n = 300;
          const got = [];
          const all = new Promise((resolve) => {
            socket.on("message-back", (i, text) => {
              got.push([i, text]);
              if (got.length === n) resolve();
            });
          });
          for (let i = 0; i < n; i++) socket.emit("message", i, `m${i}`);
          await withTimeout(all, STEP, `${n} message-back events`);
          assert.deepEqual(got, Array.from({ length: n }, (_, i) => [i, `m${i}`]));
          const empty = once(socket, "message-back");
          socket.emit("message");
          assert.deepEqual(await empty, []);
        });

        test("message-with-ack is acknowledged with its own arguments", opts, async (t) => {
          const socket = await connect(t, client, ECHO_CLIENTS_URL, mode.opts);
          assert.deepEqual(await emitAck(socket, "message-with-ack", ...plain), plain);
          assert.deepEqual(await emitAck(socket, "message-with-ack"), []);
        });

        test("binary arguments travel both ways in events", opts, async (t) => {
          const socket = await connect(t, client, ECHO_CLIENTS_URL, mode.opts);
          await assertTransport(socket, mode);
          const back = once(socket, "message-back");
          const big = Buffer.alloc(64 * 1024, 7);
          socket.emit(
            "message",
            Buffer.from([1, 2, 3]),
            { nested: Uint8Array.from([4, 5, 6]), list: ["x", Uint8Array.from([7]).buffer] },
            "text",
            big,
          );
          const [a, b, c, d] = await back;
          assert.deepEqual(bytes(a), Buffer.from([1, 2, 3]));
          assert.deepEqual(bytes(b.nested), Buffer.from([4, 5, 6]));
          assert.equal(b.list[0], "x");
          assert.deepEqual(bytes(b.list[1]), Buffer.from([7]));
          assert.equal(c, "text");
          assert.ok(bytes(d).equals(big), "64 KiB attachment differs");
        });

        test("binary arguments travel both ways in acks", opts, async (t) => {
          const socket = await connect(t, client, ECHO_CLIENTS_URL, mode.opts);
          const reply = await emitAck(
            socket,
            "message-with-ack",
            Uint8Array.from([9, 8, 7]).buffer,
            { deep: [{ bin: Buffer.from([0, 255]) }] },
          );
          assert.equal(reply.length, 2);
          assert.deepEqual(bytes(reply[0]), Buffer.from([9, 8, 7]));
          assert.deepEqual(bytes(reply[1].deep[0].bin), Buffer.from([0, 255]));
        });

        test("connects to /custom alongside / on one connection", opts, async (t) => {
          const main = await connect(t, client, ECHO_CLIENTS_URL, mode.opts);
          const custom = main.io.socket("/custom", { auth: { ns: "custom" } });
          t.after(() => custom.disconnect());
          const auth = once(custom, "auth");
          await connected(custom);
          assert.deepEqual((await auth)[0], { ns: "custom" });
          // Both namespaces share one Engine.IO session.
          assert.equal(custom.io.engine, main.io.engine);
          const back = once(main, "message-back");
          main.emit("message", "still here");
          assert.deepEqual(await back, ["still here"]);
        });

        test("an unknown namespace surfaces as connect_error", opts, async (t) => {
          const socket = open(t, client, `${ECHO_CLIENTS_URL}/random`, mode.opts);
          const err = await connectError(socket);
          assert.equal(err.message, "Invalid namespace");
          assert.equal(socket.connected, false);
        });
      });
    }
  });
}
