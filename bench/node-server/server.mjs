// The Node reference server for the benchmarks: what the original Express +
// socket.io shop does on its real-time path, with socket.io 4.8 from the
// root package-lock and no database.
//
//   node bench/node-server/server.mjs --addr 127.0.0.1:3100
//
// On BUY it broadcasts BUY_GOODS {nickname, goodsId, goodsName, date} to every
// connected socket with io.emit, as the original does. So that the load tool
// drives it exactly as it drives the Go shop, it also answers the two REST
// calls the tool makes before a run, in memory and without password hashing:
//
//   POST /api/users {email, nickname, password, confirmPassword} -> 201 {}
//   POST /api/auth  {email, password} -> 200 {token} + cookie Authorization
//
// A socket whose handshake carries that cookie is signed in; its BUY takes the
// nickname from the user and the goods name from the seed catalogue, and is
// acknowledged like the shop's ({order:{...}} or {errorMessage}). A socket
// without the cookie behaves like the original shop: its BUY payload
// {nickname, goodsId, goodsName} is broadcast as sent.

import { createServer } from "node:http";
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { Server } from "socket.io";

const GOODS = new Map([
  [1, "아메리카노"],
  [2, "카페라떼"],
  [3, "녹차라떼"],
  [4, "크루아상"],
  [5, "치즈케이크"],
  [6, "샌드위치"],
  [7, "텀블러"],
  [8, "머그컵"],
]);

function parseArgs(argv) {
  const opts = { addr: "127.0.0.1:3100" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i].replace(/^--?/, "");
    const [k, inline] = a.split("=", 2);
    const v = inline ?? argv[++i];
    if (k === "addr") opts.addr = v;
    else throw new Error(`unknown flag ${argv[i]}`);
  }
  const at = opts.addr.lastIndexOf(":");
  return { host: opts.addr.slice(0, at) || "127.0.0.1", port: Number(opts.addr.slice(at + 1)) };
}

const usersByEmail = new Map(); // email -> {nickname, password}
const nicknames = new Set();
const sessions = new Map(); // token -> nickname

function send(res, status, body, headers = {}) {
  const data = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(data),
    ...headers,
  });
  res.end(data);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > 65536) {
        reject(new Error("body too large"));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const type = req.headers["content-type"] || "";
      try {
        resolve(type.includes("json") ? JSON.parse(raw || "{}") : Object.fromEntries(new URLSearchParams(raw)));
      } catch (err) {
        reject(err);
      }
    });
    req.on("error", reject);
  });
}

async function api(req, res) {
  if (req.method === "GET" && req.url === "/healthz") return send(res, 200, { ok: true });
  let body;
  try {
    body = await readBody(req);
  } catch {
    return send(res, 400, { errorMessage: "요청 형식이 올바르지 않습니다." });
  }
  if (req.method === "POST" && req.url === "/api/users") {
    const { email, nickname, password, confirmPassword } = body;
    if (!email || !nickname || !password) return send(res, 400, { errorMessage: "입력값이 올바르지 않습니다." });
    if (password !== confirmPassword) return send(res, 400, { errorMessage: "패스워드가 패스워드 확인란과 다릅니다." });
    const key = String(email).toLowerCase();
    if (usersByEmail.has(key) || nicknames.has(nickname)) {
      return send(res, 400, { errorMessage: "이메일 또는 닉네임이 이미 사용중입니다." });
    }
    usersByEmail.set(key, { nickname: String(nickname), password: String(password) });
    nicknames.add(nickname);
    return send(res, 201, {});
  }
  if (req.method === "POST" && req.url === "/api/auth") {
    const user = usersByEmail.get(String(body.email || "").toLowerCase());
    if (!user || user.password !== body.password) {
      return send(res, 400, { errorMessage: "이메일 또는 패스워드가 틀렸습니다." });
    }
    const token = randomBytes(16).toString("hex");
    sessions.set(token, user.nickname);
    return send(res, 200, { token }, {
      "Set-Cookie": `Authorization=${encodeURIComponent("Bearer " + token)}; Path=/; HttpOnly; SameSite=Lax`,
    });
  }
  return send(res, 404, { errorMessage: "찾을 수 없습니다." });
}

function nicknameFromCookie(header) {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== "Authorization") continue;
    const value = decodeURIComponent(part.slice(eq + 1).trim());
    const token = value.startsWith("Bearer ") ? value.slice(7) : value;
    return sessions.get(token) ?? null;
  }
  return null;
}

const sioVersion = createRequire(import.meta.url)("socket.io/package.json").version;
const { host, port } = parseArgs(process.argv.slice(2));
const httpServer = createServer((req, res) => {
  if (req.url.startsWith("/socket.io/")) return; // handled by socket.io
  api(req, res).catch(() => send(res, 500, { errorMessage: "서버 오류" }));
});
const io = new Server(httpServer, { serveClient: false });
let orderId = 0;

io.on("connection", (socket) => {
  const nickname = nicknameFromCookie(socket.handshake.headers.cookie);
  socket.on("BUY", (data, ack) => {
    const reply = typeof ack === "function" ? ack : () => {};
    if (data === null || typeof data !== "object") return reply({ errorMessage: "구매 요청의 형식이 올바르지 않습니다." });
    const date = new Date().toISOString();
    if (nickname === null) {
      // The original shop: the payload is trusted and broadcast as sent.
      io.emit("BUY_GOODS", { nickname: data.nickname, goodsId: data.goodsId, goodsName: data.goodsName, date });
      return reply({ ok: true });
    }
    const goodsId = Number(data.goodsId);
    const goodsName = GOODS.get(goodsId);
    if (goodsName === undefined) return reply({ errorMessage: "상품을 찾을 수 없습니다." });
    const quantity = data.quantity === undefined ? 1 : Number(data.quantity);
    io.emit("BUY_GOODS", { nickname, goodsId, goodsName, date });
    reply({ order: { orderId: String(++orderId), items: [{ goodsId, name: goodsName, quantity }], createdAt: date } });
  });
});

httpServer.listen(port, host, () => {
  console.log(`node reference server (socket.io ${sioVersion}, node ${process.version}, pid ${process.pid}) listening on ${host}:${port}`);
});

function stop() {
  io.close();
  httpServer.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
