// Test server for the Go Socket.IO client (runtime/socketio/client_test.go),
// built on npm socket.io 4.8. It listens on 127.0.0.1 and an ephemeral port
// and prints "listening <port>". Options come from the environment:
//
//   SIO_PARSER=json|msgpack      (default json; msgpack needs socket.io-msgpack-parser)
//   SIO_RECOVERY=1               connectionStateRecovery on
//   SIO_PING_INTERVAL, SIO_PING_TIMEOUT (ms)
//
// The client drives it with events (namespace "/" unless noted):
//   message ...args            -> emits "message-back" ...args
//   message-with-ack ...args   -> acks with args
//   get-auth                   -> acks with socket.handshake.auth (also on /admin)
//   emit-me name ...args       -> emits name ...args
//   ask-client ...args         -> emits "ping-client" ...args with an ack, then emits
//                                 "client-answer" with the ack's arguments array (or "error: ..." string)
//   join room (ack)            -> joins room, acks "joined"
//   to-room room ...args       -> io.to(room).emit("room-message", ...args)
//   server-disconnect          -> socket.disconnect()
//   garbage                    -> writes a message the client's parser rejects
//   flaky ...args              -> acks every second call only, with args and the call count
//   drop [n]                   -> closes the transport, then emits "missed" i (i = 0..n-1) to the
//                                 socket's room, which only the recovery store gets (recovery test)
// Namespace /admin refuses auth {token:"bad"} with message "unauthorized" and data {reason:"x"}.
"use strict";

const { createServer } = require("http");
const { Server } = require("socket.io");

const opts = {};
if (process.env.SIO_PARSER === "msgpack") {
  opts.parser = require("socket.io-msgpack-parser");
}
if (process.env.SIO_RECOVERY === "1") {
  opts.connectionStateRecovery = { maxDisconnectionDuration: 60000, skipMiddlewares: true };
}
if (process.env.SIO_PING_INTERVAL) opts.pingInterval = Number(process.env.SIO_PING_INTERVAL);
if (process.env.SIO_PING_TIMEOUT) opts.pingTimeout = Number(process.env.SIO_PING_TIMEOUT);

const httpServer = createServer();
const io = new Server(httpServer, opts);

function common(socket) {
  socket.on("get-auth", (ack) => ack(socket.handshake.auth));
  socket.on("message-with-ack", (...args) => {
    const ack = args.pop();
    ack(...args);
  });
}

io.on("connection", (socket) => {
  common(socket);
  socket.on("message", (...args) => socket.emit("message-back", ...args));
  socket.on("emit-me", (name, ...args) => socket.emit(name, ...args));
  socket.on("ask-client", (...args) => {
    socket.timeout(5000).emit("ping-client", ...args, (err, ...answer) => {
      socket.emit("client-answer", err ? "error: " + err.message : answer);
    });
  });
  socket.on("join", (room, ack) => {
    socket.join(room);
    ack("joined");
  });
  socket.on("to-room", (room, ...args) => io.to(room).emit("room-message", ...args));
  socket.on("server-disconnect", () => socket.disconnect());
  // A message the client's parser must reject.
  socket.on("garbage", () => socket.conn.write(process.env.SIO_PARSER === "msgpack" ? "x" : "2{bad"));
  let flaky = 0;
  socket.on("flaky", (...args) => {
    const ack = args.pop();
    if (++flaky % 2 === 1) return; // every other call is left unacknowledged
    ack(...args, flaky);
  });
  socket.on("drop", (n) => {
    const sid = socket.id;
    socket.conn.close();
    // The transport is closing: these packets are not written to it, but
    // the recovery store keeps them for the reconnection.
    for (let i = 0; i < (n || 0); i++) io.to(sid).emit("missed", i);
  });
});

const admin = io.of("/admin");
admin.use((socket, next) => {
  const auth = socket.handshake.auth || {};
  if (auth.token === "bad") {
    const err = new Error("unauthorized");
    err.data = { reason: "x" };
    return next(err);
  }
  next();
});
admin.on("connection", (socket) => common(socket));

httpServer.listen(0, "127.0.0.1", () => {
  console.log("listening " + httpServer.address().port);
});

// Exit with the parent.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
