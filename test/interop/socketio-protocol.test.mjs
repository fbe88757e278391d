// The Socket.IO v5 protocol test suite (socketio/socket.io-protocol,
// test-suite) against the Socket.IO endpoint of cmd/sio-echo, on WebSocket
// and on HTTP long-polling. The server must run with -connect-timeout 1s.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Polling, SEPARATOR, ab, openRaw } from "./raw.mjs";
import { ECHO_URL, TEST_TIMEOUT } from "./support.mjs";

const PATH = "/socket.io/";
const skip = ECHO_URL ? false : "SIO_ECHO_URL is not set";
const opts = { timeout: TEST_TIMEOUT };

// connectMain opens a WebSocket session and connects it to "/", consuming
// the CONNECT answer and the "auth" event.
async function connectMain(t) {
  const { raw } = await openRaw(t, ECHO_URL, PATH);
  raw.send("40");
  assert.match(await raw.next(), /^40\{"sid":"[^"]+"\}$/);
  assert.equal(await raw.next(), '42["auth",{}]');
  return raw;
}

function assertConnectAnswer(data, prefix) {
  assert.ok(data.startsWith(prefix), `got ${data}, want the prefix ${prefix}`);
  const handshake = JSON.parse(data.slice(prefix.length));
  assert.deepEqual(Object.keys(handshake), ["sid"]);
  assert.equal(typeof handshake.sid, "string");
  return handshake.sid;
}

describe("Socket.IO protocol over WebSocket", { skip }, () => {
  describe("connect", () => {
    for (const [name, send, prefix, auth] of [
      ["the main namespace", "40", "40", '42["auth",{}]'],
      ["the main namespace with a payload", '40{"token":"123"}', "40", '42["auth",{"token":"123"}]'],
      ["a custom namespace", "40/custom,", "40/custom,", '42/custom,["auth",{}]'],
      ["a custom namespace without the trailing comma", "40/custom", "40/custom,", '42/custom,["auth",{}]'],
      ["a custom namespace with a payload", '40/custom,{"token":"abc"}', "40/custom,", '42/custom,["auth",{"token":"abc"}]'],
    ]) {
      test(`connects to ${name}`, opts, async (t) => {
        const { raw } = await openRaw(t, ECHO_URL, PATH);
        raw.send(send);
        const sid = assertConnectAnswer(await raw.next(), prefix);
        assert.equal(await raw.next(), auth);
        assert.notEqual(sid, "");
      });
    }

    test("refuses an unknown namespace", opts, async (t) => {
      const { raw } = await openRaw(t, ECHO_URL, PATH);
      raw.send("40/random");
      assert.equal(await raw.next(), '44/random,{"message":"Invalid namespace"}');
    });

    test("closes the connection on an invalid handshake", opts, async (t) => {
      const { raw } = await openRaw(t, ECHO_URL, PATH);
      raw.send("4abc");
      await raw.waitClose();
    });

    test("closes the connection when no CONNECT arrives in time", opts, async (t) => {
      // Pings are answered, so only the connect timeout can end it.
      const { raw } = await openRaw(t, ECHO_URL, PATH);
      await raw.waitClose();
    });
  });

  describe("disconnect", () => {
    test("a DISCONNECT from the main namespace leaves the session open", opts, async (t) => {
      const { raw } = await openRaw(t, ECHO_URL, PATH, { autoPong: false });
      raw.send("40");
      assertConnectAnswer(await raw.next(), "40");
      assert.equal(await raw.next(), '42["auth",{}]');
      raw.send("41");
      // The next packet is the server's ping: nothing else is said.
      assert.equal(await raw.next(), "2");
    });

    test("connects then disconnects from a custom namespace", opts, async (t) => {
      const raw = await connectMain(t);
      raw.send("40/custom,");
      assertConnectAnswer(await raw.next(), "40/custom,");
      assert.equal(await raw.next(), '42/custom,["auth",{}]');
      raw.send("41/custom,");
      raw.send('42["message","message to main namespace"]');
      assert.equal(await raw.next(), '42["message-back","message to main namespace"]');
    });
  });

  describe("message", () => {
    test("sends a plain-text packet", opts, async (t) => {
      const raw = await connectMain(t);
      raw.send('42["message",1,"2",{"3":[true]}]');
      assert.equal(await raw.next(), '42["message-back",1,"2",{"3":[true]}]');
    });

    test("keeps the key order and text of the arguments", opts, async (t) => {
      const raw = await connectMain(t);
      raw.send('42["message",{"z":1,"a":{"y":[1.5,-2e-7,"\\u00e9"],"b":null}},"héllo ☃"]');
      const got = await raw.next();
      assert.equal(
        JSON.stringify(JSON.parse(got.slice(2))),
        JSON.stringify(["message-back", { z: 1, a: { y: [1.5, -2e-7, "é"], b: null } }, "héllo ☃"]),
      );
      const keys = JSON.parse(got.slice(2))[1];
      assert.deepEqual(Object.keys(keys), ["z", "a"]);
      assert.deepEqual(Object.keys(keys.a), ["y", "b"]);
    });

    test("sends a packet with binary attachments", opts, async (t) => {
      const raw = await connectMain(t);
      raw.send('452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
      raw.send(Uint8Array.from([1, 2, 3]));
      raw.send(Uint8Array.from([4, 5, 6]));
      const packets = await raw.nextN(3);
      assert.equal(packets[0], '452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
      assert.deepEqual(packets[1], ab(1, 2, 3));
      assert.deepEqual(packets[2], ab(4, 5, 6));
    });

    test("sends a plain-text packet with an ack", opts, async (t) => {
      const raw = await connectMain(t);
      raw.send('42456["message-with-ack",1,"2",{"3":[false]}]');
      assert.equal(await raw.next(), '43456[1,"2",{"3":[false]}]');
    });

    test("sends a packet with binary attachments and an ack", opts, async (t) => {
      const raw = await connectMain(t);
      raw.send('452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
      raw.send(Uint8Array.from([1, 2, 3]));
      raw.send(Uint8Array.from([4, 5, 6]));
      const packets = await raw.nextN(3);
      assert.equal(packets[0], '462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]');
      assert.deepEqual(packets[1], ab(1, 2, 3));
      assert.deepEqual(packets[2], ab(4, 5, 6));
    });

    for (const [name, packet] of [
      ["unknown packet type", "4abc"],
      ["invalid payload format", "42{}"],
      ["invalid ack id", '42abc["message-with-ack",1,"2",{"3":[false]}]'],
      ["event name neither a string nor a number", '42[{"a":1}]'],
      ["empty event", "42[]"],
      ["reserved event name", '42["disconnect"]'],
      ["unterminated JSON", '42["message"'],
      ["too many attachments announced for the binary data", '451-["message","plain"]x'],
    ]) {
      test(`closes the connection on an invalid packet (${name})`, opts, async (t) => {
        const raw = await connectMain(t);
        raw.send(packet);
        await raw.waitClose();
      });
    }
  });
});

describe("Socket.IO protocol over HTTP long-polling", { skip }, () => {
  async function connectPolling() {
    const p = new Polling(ECHO_URL, PATH);
    await p.open();
    const push = await p.post("40");
    assert.equal(push.status, 200);
    const [connect, auth] = await p.pollUntil(2);
    assertConnectAnswer(connect, "40");
    assert.equal(auth, '42["auth",{}]');
    return p;
  }

  test("connects, emits and acks", opts, async () => {
    const p = await connectPolling();
    await p.post(`42["message","a"]${SEPARATOR}421["message-with-ack","b"]`);
    assert.deepEqual(await p.pollUntil(2), ['42["message-back","a"]', '431["b"]']);
  });

  test("carries binary attachments as base64", opts, async () => {
    const p = await connectPolling();
    await p.post(`451-["message",{"_placeholder":true,"num":0}]${SEPARATOR}bAQID`);
    assert.deepEqual(await p.pollUntil(2), ['451-["message-back",{"_placeholder":true,"num":0}]', "bAQID"]);
  });

  test("answers every event of one large POST", opts, async () => {
    // A client flushes its whole buffer in one POST (after a reconnection,
    // or when emitting faster than its requests complete); the replies
    // wait for its next poll, however many there are.
    const p = await connectPolling();
    const n = 300;
    await p.post(Array.from({ length: n }, (_, i) => `42["message",${i}]`).join(SEPARATOR));
    const got = await p.pollUntil(n);
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => `42["message-back",${i}]`));
  });

  test("refuses an unknown namespace", opts, async () => {
    const p = new Polling(ECHO_URL, PATH);
    await p.open();
    await p.post("40/random,");
    assert.deepEqual(await p.pollUntil(1), ['44/random,{"message":"Invalid namespace"}']);
  });
});
