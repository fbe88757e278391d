// The Engine.IO v4 protocol test suite (socketio/engine.io-protocol,
// test-suite) against the echo endpoint of cmd/sio-echo at /engine.io/,
// extended with the error bodies, CORS and maxPayload. The server must run
// with -ping-interval 300ms -ping-timeout 200ms -max-payload 1000000, the
// suite's own timings, or with the ping timeout given in
// SIO_ECHO_PING_TIMEOUT (milliseconds): a longer one keeps a loaded machine
// from failing a test with a late pong.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Polling, Raw, SEPARATOR, ab, engineURL, openRaw, sleep, wsURL } from "./raw.mjs";
import { ECHO_URL, STEP, TEST_TIMEOUT, withTimeout } from "./support.mjs";

const PATH = "/engine.io/";
const PING_INTERVAL = 300;
const PING_TIMEOUT = Number(process.env.SIO_ECHO_PING_TIMEOUT || 200);
const MAX_PAYLOAD = 1000000;

const skip = ECHO_URL ? false : "SIO_ECHO_URL is not set";
const opts = { timeout: TEST_TIMEOUT };
const REFERENCE_SKIP = process.env.SIO_REFERENCE === "node" && "not implemented by the Node reference server";

const url = (query) => engineURL(ECHO_URL, PATH, query);

async function assertError(res, code, message) {
  assert.equal(res.status, 400);
  assert.deepEqual(await res.json(), { code, message });
}

// pollUntilClosed polls until the session is gone (HTTP 400) without
// answering pings, and fails if that does not happen in time.
async function pollUntilClosed(p) {
  await withTimeout(
    (async () => {
      for (;;) {
        const res = await p.get();
        await res.text();
        if (res.status === 400) return;
        assert.equal(res.status, 200);
      }
    })(),
    STEP,
    "the session to close",
  );
}

describe("Engine.IO protocol", { skip }, () => {
  describe("handshake", () => {
    test("HTTP long-polling opens a session", opts, async () => {
      const res = await fetch(url({ EIO: "4", transport: "polling" }));
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.ok(text.startsWith("0"), `got ${text}, want an open packet`);
      const value = JSON.parse(text.slice(1));
      assert.deepEqual(Object.keys(value).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
      assert.equal(typeof value.sid, "string");
      assert.deepEqual(value.upgrades, ["websocket"]);
      assert.equal(value.pingInterval, PING_INTERVAL);
      assert.equal(value.pingTimeout, PING_TIMEOUT);
      assert.equal(value.maxPayload, MAX_PAYLOAD);
    });

    test("HTTP long-polling rejects a bad EIO", opts, async () => {
      await assertError(await fetch(url({ transport: "polling" })), 5, "Unsupported protocol version");
      await assertError(await fetch(url({ EIO: "abc", transport: "polling" })), 5, "Unsupported protocol version");
      await assertError(await fetch(url({ EIO: "3", transport: "polling" })), 5, "Unsupported protocol version");
    });

    test("HTTP long-polling rejects a bad transport", opts, async () => {
      await assertError(await fetch(url({ EIO: "4" })), 0, "Transport unknown");
      await assertError(await fetch(url({ EIO: "4", transport: "abc" })), 0, "Transport unknown");
    });

    test("HTTP long-polling rejects a bad handshake method", opts, async () => {
      await assertError(await fetch(url({ EIO: "4", transport: "polling" }), { method: "POST" }), 2, "Bad handshake method");
      const put = await fetch(url({ EIO: "4", transport: "polling" }), { method: "PUT" });
      assert.equal(put.status, 400);
    });

    test("HTTP long-polling rejects an unknown sid", opts, async () => {
      await assertError(await fetch(url({ EIO: "4", transport: "polling", sid: "nope" })), 1, "Session ID unknown");
    });

    test("WebSocket opens a session", opts, async (t) => {
      const { open } = await openRaw(t, ECHO_URL, PATH);
      assert.deepEqual(Object.keys(open).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
      assert.equal(typeof open.sid, "string");
      assert.deepEqual(open.upgrades, []);
      assert.equal(open.pingInterval, PING_INTERVAL);
      assert.equal(open.pingTimeout, PING_TIMEOUT);
      assert.equal(open.maxPayload, MAX_PAYLOAD);
    });

    test("WebSocket with a bad EIO or transport is refused", opts, async (t) => {
      for (const query of [
        { transport: "websocket" },
        { EIO: "abc", transport: "websocket" },
        { EIO: "4" },
        { EIO: "4", transport: "abc" },
      ]) {
        const raw = new Raw(wsURL(ECHO_URL, PATH, query));
        t.after(() => raw.close());
        // Refused with HTTP 400 (our server), or accepted and closed without
        // an open packet (the Node server, whose CORS middleware answers
        // the upgrade before the query is checked).
        const refused = await raw.opened.then(() => false, (err) => err);
        if (refused) {
          assert.match(refused.message, /400/, `query ${JSON.stringify(query)}`);
        } else {
          await raw.waitClose();
          assert.deepEqual(raw.queue, [], `query ${JSON.stringify(query)}: got packets, want none`);
        }
      }
    });
  });

  describe("message", () => {
    for (const [name, body] of [
      ["one plain text packet", "4hello"],
      ["several plain text packets", `4test1${SEPARATOR}4test2${SEPARATOR}4test3`],
      ["plain text and binary packets", `4hello${SEPARATOR}bAQIDBA==`],
      ["UTF-8 text", "4héllo ☃ 🚀"],
    ]) {
      test(`HTTP long-polling echoes ${name}`, opts, async () => {
        const p = new Polling(ECHO_URL, PATH);
        await p.open();
        const push = await p.post(body);
        assert.equal(push.status, 200);
        assert.equal(await push.text(), "ok");
        const got = await p.pollUntil(body.split(SEPARATOR).length);
        assert.equal(got.join(SEPARATOR), body);
      });
    }

    test("HTTP long-polling closes the session on an invalid packet", opts, async () => {
      const p = new Polling(ECHO_URL, PATH);
      await p.open();
      const push = await p.post("abc");
      await push.text();
      // Node answers the POST with 200 and closes the session; 400 is as good.
      assert.ok(push.status === 400 || push.status === 200, `got HTTP ${push.status}, want 400`);
      await assertError(await p.get(), 1, "Session ID unknown");
    });

    test("HTTP long-polling closes the session on a duplicate poll", opts, async () => {
      const p = new Polling(ECHO_URL, PATH);
      await p.open();
      await p.syncPing();
      const first = p.get();
      await sleep(50);
      const second = p.get();
      // On a loaded machine the second request may reach the server first:
      // whichever arrives first is the pending poll, ended with a close
      // packet, and the other is refused.
      const results = await Promise.all(
        [first, second].map(async (r) => {
          const res = await r;
          return [res.status, await res.text()];
        }),
      );
      const byStatus = results.sort((x, y) => x[0] - y[0]);
      assert.deepEqual(byStatus[0], [200, "1"]);
      assert.equal(byStatus[1][0], 400);
      assert.equal((await p.get()).status, 400);
    });

    test("HTTP long-polling closes the session when the client aborts a poll", opts, async () => {
      const p = new Polling(ECHO_URL, PATH);
      await p.open();
      const controller = new AbortController();
      const pending = p.get({ signal: controller.signal }).catch(() => {});
      await sleep(50);
      controller.abort();
      await pending;
      await pollUntilClosed(p);
    });

    test("HTTP long-polling refuses a body over maxPayload", opts, async () => {
      const p = new Polling(ECHO_URL, PATH);
      await p.open();
      const res = await p.post("4" + "x".repeat(MAX_PAYLOAD + 1));
      await res.text();
      assert.ok(res.status === 413 || res.status === 400, `got HTTP ${res.status}, want 413 or 400`);
    });

    test("WebSocket echoes a text packet", opts, async (t) => {
      const { raw } = await openRaw(t, ECHO_URL, PATH);
      raw.send("4hello");
      assert.equal(await raw.next(), "4hello");
      raw.send("4héllo ☃ 🚀");
      assert.equal(await raw.next(), "4héllo ☃ 🚀");
    });

    test("WebSocket echoes a binary packet", opts, async (t) => {
      const { raw } = await openRaw(t, ECHO_URL, PATH);
      raw.send(Uint8Array.from([1, 2, 3, 4]));
      assert.deepEqual(await raw.next(), ab(1, 2, 3, 4));
    });

    test("WebSocket closes the session on an invalid packet", opts, async (t) => {
      const { raw } = await openRaw(t, ECHO_URL, PATH);
      raw.send("abc");
      await raw.waitClose();
    });

    test("WebSocket closes the session on a frame over maxPayload", opts, async (t) => {
      const { raw } = await openRaw(t, ECHO_URL, PATH);
      raw.send("4" + "x".repeat(MAX_PAYLOAD + 1));
      await raw.waitClose();
    });
  });

  describe("heartbeat", () => {
    test("HTTP long-polling sends pings and accepts pongs", opts, async () => {
      const p = new Polling(ECHO_URL, PATH);
      await p.open();
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await p.poll(), ["2"]);
        const res = await p.post("3");
        assert.equal(res.status, 200);
        assert.equal(await res.text(), "ok");
      }
    });

    test("HTTP long-polling closes the session on ping timeout", opts, async () => {
      const p = new Polling(ECHO_URL, PATH);
      await p.open();
      await sleep(PING_INTERVAL + PING_TIMEOUT);
      await pollUntilClosed(p);
    });

    test("WebSocket sends pings and accepts pongs", opts, async (t) => {
      const { raw } = await openRaw(t, ECHO_URL, PATH, { autoPong: false });
      for (let i = 0; i < 3; i++) {
        assert.equal(await raw.next(), "2");
        raw.send("3");
      }
    });

    test("WebSocket closes the session on ping timeout", opts, async (t) => {
      const { raw } = await openRaw(t, ECHO_URL, PATH, { autoPong: false });
      await raw.waitClose();
    });
  });

  describe("close", () => {
    test("HTTP long-polling: a close packet ends the session and the pending poll", opts, async () => {
      for (let attempt = 1; ; attempt++) {
        const p = new Polling(ECHO_URL, PATH);
        await p.open();
        await p.syncPing();
        const pending = p.get();
        await sleep(50);
        const push = await p.post("1");
        assert.equal(push.status, 200);
        const res = await pending;
        const body = await res.text();
        if (res.status === 400 && attempt < 3) {
          continue; // the poll reached the server after the close: try again
        }
        assert.deepEqual([res.status, body], [200, "6"]);
        assert.equal((await p.get()).status, 400);
        return;
      }
    });

    // The Node server ignores a close packet on WebSocket (only its ping
    // timeout ends the session there), so this is skipped against it.
    test("WebSocket: a close packet ends the session", { ...opts, skip: REFERENCE_SKIP }, async (t) => {
      const { raw } = await openRaw(t, ECHO_URL, PATH);
      raw.send("1");
      await raw.waitClose();
    });
  });

  describe("upgrade", () => {
    async function upgraded(t) {
      const p = new Polling(ECHO_URL, PATH);
      await p.open();
      const raw = new Raw(wsURL(ECHO_URL, PATH, { EIO: "4", transport: "websocket", sid: p.sid }));
      t.after(() => raw.close());
      await raw.opened;
      raw.send("2probe");
      assert.equal(await raw.next(), "3probe");
      return { p, raw };
    }

    test("upgrades from HTTP long-polling to WebSocket", opts, async (t) => {
      const { p, raw } = await upgraded(t);
      // The poll is released with a noop so that the client can switch.
      assert.deepEqual((await p.poll()).filter((x) => x !== "2"), ["6"]);
      raw.send("5");
      raw.send("4hello");
      assert.equal(await raw.next(), "4hello");
      raw.send(Uint8Array.from([5, 6]));
      assert.deepEqual(await raw.next(), ab(5, 6));
    });

    test("a pending poll is answered with a noop when the probe arrives", opts, async (t) => {
      const p = new Polling(ECHO_URL, PATH);
      await p.open();
      await p.syncPing();
      const pending = p.get();
      await sleep(50);
      const raw = new Raw(wsURL(ECHO_URL, PATH, { EIO: "4", transport: "websocket", sid: p.sid }));
      t.after(() => raw.close());
      await raw.opened;
      raw.send("2probe");
      assert.equal(await raw.next(), "3probe");
      const res = await pending;
      assert.equal(res.status, 200);
      assert.deepEqual((await res.text()).split(SEPARATOR).filter((x) => x !== "2"), ["6"]);
      raw.send("5");
      raw.send("4after");
      assert.equal(await raw.next(), "4after");
    });

    test("messages sent during the upgrade are not lost", opts, async (t) => {
      const { p, raw } = await upgraded(t);
      await p.post(`4one${SEPARATOR}4two`);
      // The echoes go out on polling (the Node server) or wait for the
      // WebSocket (our server); either way once, in order.
      const polled = (await p.poll()).filter((x) => x !== "6" && x !== "2");
      raw.send("5");
      raw.send("4three");
      const rest = [];
      while (polled.length + rest.length < 3) rest.push(await raw.next());
      assert.deepEqual([...polled, ...rest], ["4one", "4two", "4three"]);
    });

    test("HTTP requests with the sid are refused after the upgrade", opts, async (t) => {
      const { p, raw } = await upgraded(t);
      raw.send("5");
      raw.send("4sync");
      assert.equal(await raw.next(), "4sync");
      const res = await p.get();
      assert.equal(res.status, 400);
      raw.send("4hello");
      assert.equal(await raw.next(), "4hello");
    });

    test("a second WebSocket with the sid is closed after the upgrade", opts, async (t) => {
      const { p, raw } = await upgraded(t);
      raw.send("5");
      raw.send("4sync");
      assert.equal(await raw.next(), "4sync");
      const second = new Raw(wsURL(ECHO_URL, PATH, { EIO: "4", transport: "websocket", sid: p.sid }));
      t.after(() => second.close());
      await second.waitClose();
      raw.send("4still");
      assert.equal(await raw.next(), "4still");
    });
  });

  describe("CORS", () => {
    test("echoes any origin and allows credentials", opts, async () => {
      const origin = "https://shop.example";
      const res = await fetch(url({ EIO: "4", transport: "polling" }), { headers: { Origin: origin } });
      assert.equal(res.status, 200);
      await res.text();
      assert.equal(res.headers.get("access-control-allow-origin"), origin);
      assert.equal(res.headers.get("access-control-allow-credentials"), "true");
    });

    test("answers a preflight request", opts, async () => {
      const origin = "http://localhost:8080";
      const res = await fetch(url({ EIO: "4", transport: "polling" }), {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "POST",
          "Access-Control-Request-Headers": "content-type",
        },
      });
      await res.text();
      assert.ok(res.status === 204 || res.status === 200, `got HTTP ${res.status}, want 204`);
      assert.equal(res.headers.get("access-control-allow-origin"), origin);
      assert.equal(res.headers.get("access-control-allow-credentials"), "true");
      assert.match(res.headers.get("access-control-allow-methods") || "", /POST/);
    });
  });
});
