// An Engine.IO echo server for the Go client's interop tests.
//
// Usage: node echo-server.cjs [port]   (port 0 or absent: any free port)
//
// Options come from the environment:
//   EIO_PING_INTERVAL, EIO_PING_TIMEOUT  heartbeat, in ms
//   EIO_MAX_PAYLOAD                      maxHttpBufferSize, in bytes
//   EIO_TRANSPORTS                       comma-separated, e.g. "polling,websocket"
//   EIO_PATH                             default "/engine.io"
//
// It prints "listening <port>" once ready, then one line per event:
//   "open <sid> <transport>", "upgrade <sid> <transport>", "close <sid> <reason>".
//
// Every message is echoed back as is (text or binary), except these text
// commands:
//   "close"        the server closes the session
//   "stop-pings"   the server stops sending pings (to test the client's watchdog)
//   "transport"    the server answers "transport:<name of the current transport>"
//   "big:<n>"      the server answers a text message of n "x"
// The engine.io package is found by the usual require() resolution: put it in
// a node_modules next to (or above) this file, or name its folder in NODE_PATH.
"use strict";

const http = require("node:http");
const { Server } = require("engine.io");

const env = process.env;
const opts = {};
if (env.EIO_PING_INTERVAL) opts.pingInterval = Number(env.EIO_PING_INTERVAL);
if (env.EIO_PING_TIMEOUT) opts.pingTimeout = Number(env.EIO_PING_TIMEOUT);
if (env.EIO_MAX_PAYLOAD) opts.maxHttpBufferSize = Number(env.EIO_MAX_PAYLOAD);
if (env.EIO_TRANSPORTS) opts.transports = env.EIO_TRANSPORTS.split(",");
opts.path = env.EIO_PATH || "/engine.io";

const httpServer = http.createServer((req, res) => {
  res.writeHead(404);
  res.end("not found");
});
const engine = new Server(opts);
engine.attach(httpServer, { path: opts.path });

engine.on("connection", (socket) => {
  console.log(`open ${socket.id} ${socket.transport.name}`);
  socket.on("upgrade", (transport) => {
    console.log(`upgrade ${socket.id} ${transport.name}`);
  });
  socket.on("close", (reason) => {
    console.log(`close ${socket.id} ${reason}`);
  });
  socket.on("message", (data) => {
    if (typeof data === "string") {
      if (data === "close") {
        socket.close();
        return;
      }
      if (data === "stop-pings") {
        socket.schedulePing = () => {};
        socket.resetPingTimeout = () => {};
        clearTimeout(socket.pingIntervalTimer);
        clearTimeout(socket.pingTimeoutTimer);
        socket.pingIntervalTimer = null;
        socket.pingTimeoutTimer = null;
        socket.send("pings stopped");
        return;
      }
      if (data === "transport") {
        socket.send("transport:" + socket.transport.name);
        return;
      }
      if (data.startsWith("big:")) {
        socket.send("x".repeat(Number(data.slice(4))));
        return;
      }
    }
    socket.send(data);
  });
});

httpServer.listen(Number(process.argv[2] || 0), "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});

// Exit when the test process goes away (stdin closes).
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
