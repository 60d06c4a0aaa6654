// The Node socket.io 4.8 contender: the same events as bench/cmd/siogen-server.
//   echo(s) -> emits "echo" with s back to the sender
//   echoAck(s, ack) -> acknowledges with s
//   pub(s)  -> emits "msg" with s to room "r" (every socket joins it on connect)
// Run with --expose-gc: SIGUSR2 collects garbage before the harness reads RSS.
"use strict";
const http = require("node:http");
const { Server } = require("socket.io");

const [host, port] = (process.argv[2] || "127.0.0.1:3000").split(":");
const httpServer = http.createServer();
const io = new Server(httpServer, { serveClient: false });
io.on("connection", (socket) => {
  socket.join("r");
  socket.on("echo", (s) => socket.emit("echo", s));
  socket.on("echoAck", (s, ack) => { if (typeof ack === "function") ack(s); });
  socket.on("pub", (s) => io.to("r").emit("msg", s));
});
process.on("SIGUSR2", () => { if (global.gc) global.gc(); });
process.on("SIGTERM", () => process.exit(0));
httpServer.listen(Number(port), host);
