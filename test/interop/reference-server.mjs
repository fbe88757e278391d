// The Node reference implementation (socket.io 4.8.4, engine.io 6) of the two
// servers the interop tests expect: the sio-echo behaviours and the rooms
// server of README.md. Running the tests against it checks the tests
// themselves, so that a failure against our Go server points at the server:
//
//   node test/interop/reference-server.mjs   # prints the two URLs
//   SIO_ECHO_URL=... SIO_ROOMS_URL=... node --test test/interop/

import { createServer } from "node:http";
import { Server as EngineServer } from "engine.io";
import { Server } from "socket.io";

const cors = { origin: true, credentials: true };

function listen(server) {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`));
  });
}

// Echo server: /engine.io/ echoes every message, /socket.io/ is the
// Socket.IO protocol test server.
async function startEcho({ pingInterval, pingTimeout, connectTimeout }) {
  const http = createServer();
  const engine = new EngineServer({ pingInterval, pingTimeout, maxHttpBufferSize: 1e6, cors });
  engine.on("connection", (socket) => {
    socket.on("message", (data) => socket.send(data));
  });
  const io = new Server(http, { pingInterval, pingTimeout, maxHttpBufferSize: 1e6, connectTimeout, cors });
  http.on("request", (req, res) => {
    if (req.url.startsWith("/engine.io/")) engine.handleRequest(req, res);
  });
  http.on("upgrade", (req, socket, head) => {
    if (req.url.startsWith("/engine.io/")) engine.handleUpgrade(req, socket, head);
  });
  const onConnection = (socket) => {
    socket.emit("auth", socket.handshake.auth);
    socket.on("message", (...args) => socket.emit("message-back", ...args));
    socket.on("message-with-ack", (...args) => {
      const ack = args.pop();
      ack(...args);
    });
  };
  io.of("/").on("connection", onConnection);
  io.of("/custom").on("connection", (socket) => socket.emit("auth", socket.handshake.auth));
  return listen(http);
}

// Rooms server: see README.md for its events.
async function startRooms() {
  const http = createServer();
  const io = new Server(http, {
    pingInterval: 1000,
    pingTimeout: 2000,
    connectTimeout: 2000,
    cors,
    connectionStateRecovery: { maxDisconnectionDuration: 5000, skipMiddlewares: true },
  });
  io.on("connection", (socket) => {
    socket.on("echo", (...args) => args.pop()(...args));
    socket.on("42", (...args) => args.pop()("42", ...args));
    socket.on("join", (room, ack) => {
      socket.join(room);
      ack(true);
    });
    socket.on("rooms", (ack) => ack([...socket.rooms].sort()));
    socket.on("room-emit", (room, event, payload, ack) => {
      io.to(room).emit(event, payload);
      ack(true);
    });
    socket.on("room-ask", (room, payload, ack) => {
      io.to(room)
        .timeout(2000)
        .emit("question", payload, (err, answers) => {
          ack(err ? { error: err.message } : { answers });
        });
    });
    socket.on("set-data", (key, value, ack) => {
      socket.data[key] = value;
      ack(true);
    });
    socket.on("get-data", (key, ack) => ack(socket.data[key] ?? null));
    socket.on("ask", (payload, ack) => {
      socket.timeout(2000).emit("question", payload, (err, answer) => {
        ack(err ? { error: err.message } : { answer });
      });
    });
    socket.on("drop", () => socket.conn.close());
    socket.on("kick", () => socket.disconnect());
    socket.on("drop-and-broadcast", (room, event, payload) => {
      socket.once("disconnect", () => io.to(room).emit(event, payload));
      socket.conn.close();
    });
  });
  io.of("/guarded")
    .use((socket, next) => {
      if (socket.handshake.auth.token === "letmein") return next();
      const err = new Error("not authorized");
      err.data = { code: 4001, reason: "token missing" };
      next(err);
    })
    .on("connection", (socket) => {
      socket.on("echo", (...args) => args.pop()(...args));
    });
  return listen(http);
}

const [echo, clientsEcho, rooms] = await Promise.all([
  startEcho({ pingInterval: 300, pingTimeout: 200, connectTimeout: 1000 }),
  startEcho({ pingInterval: 2000, pingTimeout: 5000, connectTimeout: 5000 }),
  startRooms(),
]);
console.log("SIO_REFERENCE=node");
console.log(`SIO_ECHO_URL=${echo}`);
console.log(`SIO_ECHO_CLIENTS_URL=${clientsEcho}`);
console.log(`SIO_ROOMS_URL=${rooms}`);
