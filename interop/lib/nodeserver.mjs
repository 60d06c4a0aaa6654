// The reference server: npm engine.io 6.6 (and socket.io 4.8 on /socket.io/) in this process, configured exactly
// like our Go conformance server (examples/conformance). A test that passes against it is the spec the Go server
// must meet. Selected with SIOGEN_TARGET=node.
import { createServer } from "node:http";
import { Server as EngineServer } from "engine.io";
import { Server as SocketIOServer } from "socket.io";

/** Engine.IO options shared by the reference server and (by contract) the Go conformance server. */
export const ENGINE_OPTIONS = Object.freeze({
  pingInterval: 300,
  pingTimeout: 200,
  maxHttpBufferSize: 1e6,
});

/**
 * Starts the reference server on 127.0.0.1 and a free port.
 * `/engine.io/`: Engine.IO echo (every message, text or binary, sent back).
 * `/socket.io/`: the official Socket.IO v5 test-suite server (auth echo, message-back, message-with-ack, /custom).
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

  // engine.io keeps a server-closed polling session's transport alive for `closeTimeout` (30 s, a ref'd timer)
  // waiting for the next GET to deliver the `1` packet; sessions that end by ping timeout (e.g. raw handshakes that
  // never poll) would keep this process alive for 30 s after the tests. 1 s changes nothing the tests observe.
  const shortenCloseTimeout = (socket) => {
    if (socket.transport?.name === "polling") socket.transport.closeTimeout = 1000;
  };
  engine.on("connection", shortenCloseTimeout);
  io.engine.on("connection", shortenCloseTimeout);

  await new Promise((resolve, reject) => {
    http.once("error", reject);
    http.listen(0, "127.0.0.1", resolve);
  });
  const { port } = http.address();

  return {
    name: "node",
    url: `http://127.0.0.1:${port}`,
    async stop() {
      for (const eng of [engine, io.engine]) {
        for (const socket of Object.values(eng.clients)) if (socket.transport) socket.transport.closeTimeout = 0;
        eng.close();
      }
      for (const s of sockets) s.destroy();
      // io.close() also closes the http server (and waits for it).
      await new Promise((resolve) => io.close(() => resolve()));
    },
  };
}
