// The Node socket.io 4.8 contender: the same events as bench/cmd/siogen-server.
//   echo(s) -> emits "echo" with s back to the sender
//   echoAck(s, ack) -> acknowledges with s
//   pub(s)  -> emits "msg" with s to room "r" (every socket joins it on connect)
// Run with --expose-gc: SIGUSR2 collects garbage before the harness reads RSS.
// With `-redis host:port` after the address, a cluster node on
// @socket.io/redis-adapter (classic adapter, a redis@4 pub and sub client).
"use strict";
const http = require("node:http");
const { Server } = require("socket.io");

const [host, port] = (process.argv[2] || "127.0.0.1:3000").split(":");
const redisAddr = process.argv[3] === "-redis" ? process.argv[4] : "";

async function main() {
  const httpServer = http.createServer();
  const opts = { serveClient: false };
  if (redisAddr) {
    const { createClient } = require("redis");
    const { createAdapter } = require("@socket.io/redis-adapter");
    const pub = createClient({ url: `redis://${redisAddr}` });
    const sub = pub.duplicate();
    pub.on("error", (e) => console.error(e));
    sub.on("error", (e) => console.error(e));
    await Promise.all([pub.connect(), sub.connect()]);
    opts.adapter = createAdapter(pub, sub);
  }
  const io = new Server(httpServer, opts);
  io.on("connection", (socket) => {
    socket.join("r");
    socket.on("echo", (s) => socket.emit("echo", s));
    socket.on("echoAck", (s, ack) => { if (typeof ack === "function") ack(s); });
    socket.on("pub", (s) => io.to("r").emit("msg", s));
  });
  process.on("SIGUSR2", () => { if (global.gc) global.gc(); });
  process.on("SIGTERM", () => process.exit(0));
  httpServer.listen(Number(port), host);
}
main().catch((e) => { console.error(e); process.exit(1); });
