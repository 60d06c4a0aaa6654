// The reference server: npm engine.io 6.6 and socket.io 4.8 in this process, configured exactly like our Go
// conformance server (examples/conformance) must be. A test that passes against it is the spec the Go server must
// meet. Selected with SIOGEN_TARGET=node. What every path serves is specified in ../SERVER.md.
import { createServer } from "node:http";
import { Server as EngineServer } from "engine.io";
import { Server as SocketIOServer } from "socket.io";
import msgpackParser from "socket.io-msgpack-parser";

/** Engine.IO options shared by the reference server and (by contract) the Go conformance server. */
export const ENGINE_OPTIONS = Object.freeze({
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1e6,
});

/** Options of the Socket.IO interop servers (SERVER.md §2): a moderate heartbeat so that load causes no timeouts. */
export const INTEROP_OPTIONS = Object.freeze({
  pingInterval: 1000,
  pingTimeout: 2000,
  connectTimeout: 5000,
  maxHttpBufferSize: 1e6,
});

/** Recovery settings of the `*-recovery` interop servers (SERVER.md §2). */
export const RECOVERY_OPTIONS = Object.freeze({ maxDisconnectionDuration: 2 * 60 * 1000, skipMiddlewares: true });

/** The four Socket.IO interop servers (SERVER.md §1): path -> parser and recovery. */
export const INTEROP_SERVERS = Object.freeze({
  "/sio-json/": { parser: "json", recovery: false },
  "/sio-msgpack/": { parser: "msgpack", recovery: false },
  "/sio-json-recovery/": { parser: "json", recovery: true },
  "/sio-msgpack-recovery/": { parser: "msgpack", recovery: true },
});

/** The server path of the interop server with `parser` ("json" | "msgpack") and `recovery` (boolean). */
export function interopPath(parser, recovery = false) {
  return `/sio-${parser}${recovery ? "-recovery" : ""}/`;
}

/** Timeout of the server's own acknowledgement requests (server-ack, broadcast-ack), ms. */
export const SERVER_ACK_TIMEOUT = 2000;

/** Rooms of a socket other than its own id, sorted (what `whoami` and `join`/`leave` report). */
function roomsOf(socket) {
  return [...socket.rooms].filter((r) => r !== socket.id).sort();
}

/** Calls `ack` with `args` if the client asked for an acknowledgement. */
function reply(ack, ...args) {
  if (typeof ack === "function") ack(...args);
}

/** The event handlers every namespace of an interop server has (SERVER.md §4). */
function interopHandlers(socket) {
  const nsp = socket.nsp;
  socket.on("message", (...args) => socket.emit("message-back", ...args));
  socket.on("message-with-ack", (...args) => {
    const ack = args.pop();
    reply(ack, ...args);
  });
  socket.on("whoami", (ack) => reply(ack, { nsp: nsp.name, id: socket.id, rooms: roomsOf(socket), recovered: socket.recovered }));
  socket.on("server-ack", async (x) => {
    try {
      const answer = await socket.timeout(SERVER_ACK_TIMEOUT).emitWithAck("ping-client", x);
      socket.emit("server-ack-result", { ok: true, answer });
    } catch (err) {
      socket.emit("server-ack-result", { ok: false, error: err.message });
    }
  });
  socket.on("join", (room, ack) => {
    socket.join(room);
    reply(ack, roomsOf(socket));
  });
  socket.on("leave", (room, ack) => {
    socket.leave(room);
    reply(ack, roomsOf(socket));
  });
  socket.on("to-room", (room, payload, ack) => {
    nsp.to(room).emit("room-message", room, payload);
    reply(ack);
  });
  socket.on("except-room", (room, payload, ack) => {
    nsp.except(room).emit("except-message", room, payload);
    reply(ack);
  });
  socket.on("volatile-burst", (n, ack) => {
    for (let i = 0; i < n; i++) socket.volatile.emit("volatile", i);
    reply(ack, n);
  });
  socket.on("broadcast-ack", async (room, payload, ack) => {
    const target = room === null ? nsp : nsp.to(room);
    try {
      const answers = await target.timeout(SERVER_ACK_TIMEOUT).emitWithAck("ask", payload);
      reply(ack, { ok: true, answers });
    } catch (err) {
      reply(ack, { ok: false, error: err.message });
    }
  });
  socket.on("disconnect-me", () => socket.disconnect());
  socket.on("disconnect-me-close", () => socket.disconnect(true));
  socket.on("drop-me", () => socket.conn.close());
  socket.on("emit-while-away", (n) => {
    const id = socket.id;
    socket.once("disconnect", (reason) => {
      for (let i = 0; i < n; i++) nsp.to(id).emit("away", i, reason);
    });
    socket.conn.close();
  });
}

/** Configures one Socket.IO interop server: `/`, `/admin` (token middleware) and `/^\/dyn-\w+$/` (SERVER.md §3). */
function setupInterop(io) {
  io.on("connection", (socket) => {
    socket.emit("auth", socket.handshake.auth);
    interopHandlers(socket);
  });
  const admin = io.of("/admin");
  admin.use((socket, next) => {
    if (socket.handshake.auth?.token === "secret") return next();
    const err = new Error("not authorized");
    err.data = { reason: "bad token" };
    next(err);
  });
  admin.on("connection", (socket) => {
    socket.emit("auth", socket.handshake.auth);
    interopHandlers(socket);
  });
  io.of(/^\/dyn-\w+$/).on("connection", (socket) => {
    socket.emit("hello", socket.nsp.name);
    interopHandlers(socket);
  });
}

/**
 * Starts the reference server on 127.0.0.1 and a free port.
 * `/engine.io/`: Engine.IO echo (every message, text or binary, sent back).
 * `/socket.io/`: the official Socket.IO v5 test-suite server (auth echo, message-back, message-with-ack, /custom).
 * `/sio-json/`, `/sio-msgpack/`, `/sio-json-recovery/`, `/sio-msgpack-recovery/`: the interop servers (SERVER.md).
 * @returns {Promise<{name: string, url: string, stop: () => Promise<void>}>}
 */
export async function startNodeServer() {
  const http = createServer();
  // Every TCP connection, including the ones upgraded to WebSocket (which http.closeAllConnections() does not
  // track): destroyed on stop so that no client is left waiting for a close handshake (ws waits 30 s).
  const sockets = new Set();
  http.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });

  const engine = new EngineServer({ ...ENGINE_OPTIONS, cors: { origin: "*" } });
  engine.attach(http, { path: "/engine.io/" });
  engine.on("connection", (socket) => {
    socket.on("data", (...args) => socket.send(...args));
  });

  const io = new SocketIOServer(http, {
    ...ENGINE_OPTIONS,
    connectTimeout: 1000,
    cors: { origin: "*" },
  });
  io.on("connection", (socket) => {
    socket.emit("auth", socket.handshake.auth);
    socket.on("message", (...args) => socket.emit("message-back", ...args));
    socket.on("message-with-ack", (...args) => {
      const ack = args.pop();
      ack(...args);
    });
  });
  io.of("/custom").on("connection", (socket) => {
    socket.emit("auth", socket.handshake.auth);
  });

  const ios = [io];
  for (const [path, { parser, recovery }] of Object.entries(INTEROP_SERVERS)) {
    const sio = new SocketIOServer(http, {
      ...INTEROP_OPTIONS,
      path,
      serveClient: false,
      cors: { origin: "*" },
      ...(parser === "msgpack" ? { parser: msgpackParser } : {}),
      ...(recovery ? { connectionStateRecovery: { ...RECOVERY_OPTIONS } } : {}),
    });
    setupInterop(sio);
    ios.push(sio);
  }

  // engine.io keeps a server-closed polling session's transport alive for `closeTimeout` (30 s, a ref'd timer)
  // waiting for the next GET to deliver the `1` packet; sessions that end by ping timeout (e.g. raw handshakes that
  // never poll) would keep this process alive for 30 s after the tests. 1 s changes nothing the tests observe.
  const shortenCloseTimeout = (socket) => {
    if (socket.transport?.name === "polling") socket.transport.closeTimeout = 1000;
  };
  const engines = [engine, ...ios.map((s) => s.engine)];
  for (const eng of engines) eng.on("connection", shortenCloseTimeout);

  await new Promise((resolve, reject) => {
    http.once("error", reject);
    http.listen(0, "127.0.0.1", resolve);
  });
  const { port } = http.address();

  return {
    name: "node",
    url: `http://127.0.0.1:${port}`,
    async stop() {
      for (const eng of engines) {
        for (const socket of Object.values(eng.clients)) if (socket.transport) socket.transport.closeTimeout = 0;
      }
      engine.close();
      for (const s of sockets) s.destroy();
      // io.close() also closes the http server (and waits for it); the later calls get ERR_SERVER_NOT_RUNNING.
      for (const sio of ios) await new Promise((resolve) => sio.close(() => resolve()));
      for (const s of sockets) s.destroy();
    },
  };
}
