// Raw Engine.IO clients for the protocol tests: HTTP long-polling with
// fetch, WebSocket with the `ws` package. They speak the wire format
// directly so that the tests can assert exact packets.

import { WebSocket } from "ws";
import { STEP, withTimeout } from "./support.mjs";

export const SEPARATOR = "\x1e";

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// engineURL builds the URL of an Engine.IO endpoint (path "/engine.io/" or
// "/socket.io/") with the given query parameters.
export function engineURL(base, path, query) {
  const u = new URL(path, base);
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined) u.searchParams.set(k, v);
  }
  return u.toString();
}

export function wsURL(base, path, query) {
  return engineURL(base, path, query).replace(/^http/, "ws");
}

// Polling is one HTTP long-polling session.
export class Polling {
  constructor(base, path) {
    this.base = base;
    this.path = path;
    this.sid = undefined;
  }

  url(extra = {}) {
    return engineURL(this.base, this.path, { EIO: "4", transport: "polling", sid: this.sid, ...extra });
  }

  // open performs the handshake and returns the parsed open packet.
  async open() {
    const res = await fetch(this.url(), { signal: AbortSignal.timeout(STEP) });
    if (res.status !== 200) throw new Error(`handshake: got HTTP ${res.status}, want 200`);
    const text = await res.text();
    if (!text.startsWith("0")) throw new Error(`handshake: got ${JSON.stringify(text)}, want an open packet`);
    const open = JSON.parse(text.slice(1));
    this.sid = open.sid;
    return open;
  }

  // get issues one poll and returns the response (body not read).
  get(init = {}) {
    return fetch(this.url(), { signal: AbortSignal.timeout(STEP), ...init });
  }

  // poll issues one poll and returns its packets, split on the separator.
  async poll() {
    const res = await this.get();
    const text = await res.text();
    if (res.status !== 200) throw new Error(`poll: got HTTP ${res.status} ${text}, want 200`);
    return text.split(SEPARATOR);
  }

  // pollUntil polls, answering pings, until `want` packets other than pings
  // and noops have arrived.
  async pollUntil(want) {
    const got = [];
    return withTimeout(
      (async () => {
        while (got.length < want) {
          for (const p of await this.poll()) {
            if (p === "2") await this.post("3");
            else if (p !== "6") got.push(p);
          }
        }
        return got;
      })(),
      STEP,
      `${want} polled packets`,
    );
  }

  // syncPing waits for the server's next ping and answers it, so that a
  // whole ping interval lies ahead: a test that holds a poll open then
  // knows that no ping will answer it meanwhile.
  async syncPing() {
    await withTimeout(
      (async () => {
        for (;;) {
          if ((await this.poll()).includes("2")) {
            const res = await this.post("3");
            await res.text();
            return;
          }
        }
      })(),
      STEP,
      "a ping",
    );
  }

  post(body) {
    return fetch(this.url(), { method: "POST", body, signal: AbortSignal.timeout(STEP) });
  }
}

// Raw wraps a ws WebSocket: it queues incoming messages (text as strings,
// binary as ArrayBuffer) and, unless autoPong is false, answers and hides
// the server's pings so that slow steps do not end the session.
export class Raw {
  constructor(url, { autoPong = true } = {}) {
    this.ws = new WebSocket(url);
    this.ws.binaryType = "arraybuffer";
    this.queue = [];
    this.waiters = [];
    this.autoPong = autoPong;
    this.opened = new Promise((resolve, reject) => {
      this.ws.once("open", resolve);
      this.ws.once("error", reject);
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => this.ws.once("close", (code) => resolve(code)));
    this.ws.on("error", () => {});
    this.ws.on("message", (data, isBinary) => {
      const msg = isBinary ? data : data.toString();
      if (this.autoPong && msg === "2") {
        this.ws.send("3");
        return;
      }
      const w = this.waiters.shift();
      if (w) w(msg);
      else this.queue.push(msg);
    });
  }

  // next resolves with the next message.
  next(ms = STEP) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    return withTimeout(new Promise((resolve) => this.waiters.push(resolve)), ms, "a WebSocket message");
  }

  // nextN resolves with the next n messages.
  async nextN(n) {
    const out = [];
    for (let i = 0; i < n; i++) out.push(await this.next());
    return out;
  }

  send(data) {
    this.ws.send(data);
  }

  // waitClose resolves with the close code once the server closes.
  waitClose(ms = STEP) {
    return withTimeout(this.closed, ms, "the WebSocket to close");
  }

  close() {
    this.ws.terminate();
  }
}

// openRaw opens a WebSocket session and returns it with its open packet.
export async function openRaw(t, base, path, opts) {
  const raw = new Raw(wsURL(base, path, { EIO: "4", transport: "websocket" }), opts);
  t.after(() => raw.close());
  const first = await raw.next();
  if (typeof first !== "string" || !first.startsWith("0")) {
    throw new Error(`got ${JSON.stringify(first)}, want an open packet`);
  }
  return { raw, open: JSON.parse(first.slice(1)) };
}

// ab builds an ArrayBuffer holding the given bytes.
export function ab(...bytes) {
  return Uint8Array.from(bytes).buffer;
}
