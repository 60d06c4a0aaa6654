// A socket.io-client 4.8 for TestChatNodeClient: node chat-client.cjs URL json|msgpack
// connects to /chat of a Go server serving the generated chat namespace,
// sends what a JavaScript client sends, and prints one JSON line saying what
// came back and in which JavaScript types.
const { io } = require("socket.io-client");
const msgpackParser = require("socket.io-msgpack-parser");

const [url, parser] = process.argv.slice(2);
const opts = { transports: ["websocket"], auth: { token: "secret" }, reconnection: false };
if (parser === "msgpack") opts.parser = msgpackParser;
const socket = io(url + "/chat", opts);

const types = (v) => (v === null ? "null" : Array.isArray(v) ? "array" : v instanceof Uint8Array || v instanceof ArrayBuffer ? "binary" : typeof v);

function call(event, payload) {
  return new Promise((resolve) => socket.timeout(5000).emit(event, payload, (err, ack) => resolve(err ? { timeout: true } : ack)));
}

socket.on("connect_error", (err) => {
  console.log(JSON.stringify({ connectError: err.message }));
  process.exit(1);
});

socket.on("connect", async () => {
  const out = {};
  const join = await call("join", { room: "lobby" });
  const m = join.data.history[0];
  out.join = { ok: join.ok, history: types(join.data.history), sentAt: types(m.sentAt), sentAtValue: m.sentAt, author: types(m.author) };
  const sent = await call("send", { room: "lobby", text: "hi", sentAt: new Date(0) });
  out.send = { ok: sent.ok, text: sent.data.text, sentAt: types(sent.data.sentAt), files: types(sent.data.files), file: types(sent.data.files[0]) };
  const missing = await call("send", { text: "x" });
  out.missing = missing.ok ? "accepted" : missing.error;
  const undef = await call("send", { room: undefined, text: "x" });
  out.undefinedRoom = undef.ok ? "accepted" : undef.error;
  const nul = await call("send", { room: "lobby", text: null });
  out.nullText = nul.ok ? "accepted" : nul.error;
  console.log(JSON.stringify(out));
  socket.disconnect();
  process.exit(0);
});
