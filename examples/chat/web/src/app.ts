// The chat page: the official socket.io-client, typed by the TypeScript that
// siogen generates from chat.sio.yaml (./chat.sio.ts). Bundled by esbuild into
// dist/app.js (`go generate ./examples/chat`), which the Go server embeds.
//
// Query parameters (handy for testing): ?transports=polling keeps the
// connection on HTTP long-polling; ?name=ann signs in at once; ?room=help
// opens that room first.
import { io } from "socket.io-client";
import {
  chatNamespace,
  type Ack,
  type Binary,
  type ChatAuth,
  type ChatSocket,
  type Image,
  type Message,
  type Room,
  type RoomID,
  type User,
} from "./chat.sio";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const params = new URLSearchParams(location.search);
const maxImageBytes = 512_000; // the schema's Image.data maxLength
const imageTypes = /^image\/(png|jpeg|gif|webp)$/; // the schema's Image.type pattern
const ackTimeoutMs = 15_000;
const typingIdleMs = 2_500; // we stop "typing" after this much quiet
const typingShownMs = 5_000; // others' indicators expire after this

let socket: ChatSocket | undefined;
let me: User | undefined;
let rooms: Room[] = [];
let current: RoomID = params.get("room") || "general";
let members = new Map<string, User>();
const typists = new Map<string, { user: User; timer: number }>();
let pendingImage: Image | undefined;

// ---- Sign-in and connection ----

function signIn(name: string): void {
  $("login-error").textContent = "";
  socket?.disconnect();
  const auth: ChatAuth = { token: name };
  const transports = params.get("transports") === "polling" ? ["polling"] : ["polling", "websocket"];
  const s: ChatSocket = io(chatNamespace, { auth, transports });
  socket = s;
  setState("connecting");

  s.on("connect", () => void onConnect(s));
  s.on("connect_error", (err) => {
    // A refused token is final (the client does not retry); a network error is retried.
    if (!s.active) {
      setState("signed-out");
      $("login-error").textContent = err.message;
      $<HTMLButtonElement>("login-button").disabled = false;
    } else {
      setState("connecting");
    }
  });
  s.on("disconnect", (reason) => {
    setState(s.active ? "connecting" : "signed-out");
    notice(`disconnected (${reason})`);
  });
  s.io.on("open", () => {
    const engine = s.io.engine;
    showTransport(engine.transport.name);
    engine.on("upgrade", (t: { name: string }) => showTransport(t.name));
  });

  s.on("message", (m) => {
    if (m.room === current) {
      clearTyping(m.author.id);
      addMessage(m);
    }
  });
  s.on("presence", (p) => {
    if (p.room !== current) return;
    if (p.state === "online") members.set(p.user.id, p.user);
    else {
      members.delete(p.user.id);
      clearTyping(p.user.id);
    }
    renderMembers();
    notice(`${p.user.name} ${p.state === "online" ? "joined" : "left"}`);
  });
  s.on("userTyping", (t) => {
    if (t.room !== current) return;
    if (t.typing) {
      const old = typists.get(t.user.id);
      if (old) clearTimeout(old.timer);
      typists.set(t.user.id, { user: t.user, timer: window.setTimeout(() => clearTyping(t.user.id), typingShownMs) });
      renderTyping();
    } else clearTyping(t.user.id);
  });
  s.on("roomList", (p) => {
    rooms = p.rooms;
    renderRooms();
  });
}

async function onConnect(s: ChatSocket): Promise<void> {
  setState("connected");
  // After a reconnection the server knows nothing of us: ask again and rejoin.
  const hello = await call(s.emitWithAck("hello"));
  if (!hello.ok) return notice(`hello failed: ${hello.error.message}`);
  const user = hello.data.user;
  me = user;
  rooms = hello.data.rooms;
  $("me").replaceChildren("Signed in as ", bold(user.name));
  if (!rooms.some((r) => r.id === current) && rooms.length > 0) current = rooms[0].id;
  await join(current);
}

// call awaits an acked emit for at most ackTimeoutMs; a timeout becomes an
// error envelope with the built-in code "timeout", as the schema says.
// (socket.timeout(ms).emitWithAck would do the waiting, but socket.io-client's
// types lose the ack's type through timeout(): its result is any.)
type TimedOut = { ok: false; error: { code: "timeout"; message: string } };
function call<R>(p: Promise<R>): Promise<R | TimedOut> {
  let timer = 0;
  const timedOut = new Promise<TimedOut>((resolve) => {
    timer = window.setTimeout(
      () => resolve({ ok: false, error: { code: "timeout", message: "the server did not answer in time" } }),
      ackTimeoutMs,
    );
  });
  return Promise.race([p, timedOut]).finally(() => clearTimeout(timer));
}

async function join(room: RoomID): Promise<void> {
  const s = socket;
  if (!s) return;
  const res = await call(s.emitWithAck("join", { room }));
  if (!res.ok) return notice(`cannot join ${room}: ${res.error.message}`);
  current = room;
  document.body.dataset.room = room;
  $("room-title").textContent = `# ${res.data.room.title}`;
  members = new Map(res.data.members.map((u) => [u.id, u]));
  for (const id of [...typists.keys()]) clearTyping(id);
  $("messages").replaceChildren();
  for (const m of res.data.history) addMessage(m);
  if (res.data.history.length === 0) notice(`This is the start of #${room}.`);
  renderMembers();
  renderRooms();
  $("text").focus();
}

function switchRoom(room: RoomID): void {
  if (!socket || room === current) return;
  stopTyping();
  socket.emit("leave", { room: current });
  void join(room);
}

// ---- Sending ----

async function send(): Promise<void> {
  const s = socket;
  const input = $<HTMLInputElement>("text");
  const text = input.value.trim();
  if (!s || !s.connected || (!text && !pendingImage)) return;
  stopTyping();
  const button = $<HTMLButtonElement>("send");
  button.disabled = true;
  const res = await call(s.emitWithAck("send", { room: current, text, image: pendingImage }));
  button.disabled = false;
  if (!res.ok) {
    // rate_limited, not_in_room, invalid_argument…: the server's message says what to do.
    showSendError(res.error.code === "rate_limited" ? `Slow down: ${res.error.message}` : res.error.message);
    return;
  }
  showSendError("");
  input.value = "";
  setAttachment(undefined);
  addMessage(res.data); // the server does not send our own message back to us
  input.focus();
}

let sendErrorTimer = 0;
function showSendError(text: string): void {
  clearTimeout(sendErrorTimer);
  $("send-error").textContent = text;
  if (text) sendErrorTimer = window.setTimeout(() => ($("send-error").textContent = ""), 5_000);
}

async function pickImage(file: File | undefined): Promise<void> {
  if (!file) return;
  if (!imageTypes.test(file.type)) return showSendError("Only PNG, JPEG, GIF and WebP images can be sent.");
  if (file.size > maxImageBytes) return showSendError(`That image is too big (at most ${maxImageBytes / 1000} kB).`);
  setAttachment({ name: file.name.slice(0, 128), type: file.type, data: await file.arrayBuffer() });
}

function setAttachment(img: Image | undefined): void {
  pendingImage = img;
  $("attachment").hidden = !img;
  $("attachment-name").textContent = img ? `${img.name} (${Math.ceil(img.data.byteLength / 1024)} KiB)` : "";
  if (!img) $<HTMLInputElement>("file").value = "";
}

// ---- Typing indicator ----

let typingSince = 0;
let typingTimer = 0;

function onInput(): void {
  if (!socket?.connected) return;
  const now = Date.now();
  if (!typingSince || now - typingSince > typingShownMs / 2) {
    socket.emit("typing", { room: current, typing: true });
    typingSince = now;
  }
  clearTimeout(typingTimer);
  typingTimer = window.setTimeout(stopTyping, typingIdleMs);
}

function stopTyping(): void {
  clearTimeout(typingTimer);
  if (typingSince && socket?.connected) socket.emit("typing", { room: current, typing: false });
  typingSince = 0;
}

function clearTyping(id: string): void {
  const t = typists.get(id);
  if (!t) return;
  clearTimeout(t.timer);
  typists.delete(id);
  renderTyping();
}

function renderTyping(): void {
  const names = [...typists.values()].map((t) => t.user.name);
  $("typing").textContent =
    names.length === 0 ? "" : names.length === 1 ? `${names[0]} is typing…` : `${names.join(", ")} are typing…`;
}

// ---- Rendering ----

function setState(state: "signed-out" | "connecting" | "connected"): void {
  document.body.dataset.state = state;
  if (state === "signed-out") $<HTMLButtonElement>("login-button").disabled = false;
  const t = document.body.dataset.transport;
  $("status").textContent = state === "connected" ? `connected · ${t ?? ""}` : state === "connecting" ? "connecting…" : "offline";
}

function showTransport(name: string): void {
  document.body.dataset.transport = name;
  if (document.body.dataset.state === "connected") setState("connected");
}

function bold(text: string): HTMLElement {
  const b = document.createElement("b");
  b.textContent = text;
  return b;
}

function el(tag: string, className: string, text = ""): HTMLElement {
  const e = document.createElement(tag);
  e.className = className;
  e.textContent = text;
  return e;
}

function addMessage(m: Message): void {
  const li = el("li", m.author.id === me?.id ? "msg mine" : "msg");
  li.dataset.id = m.id;
  const meta = el("div", "meta");
  meta.append(el("span", "author", m.author.name), el("time", "time", new Date(m.sentAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })));
  li.append(meta, el("div", "text", m.text));
  if (m.image && imageTypes.test(m.image.type)) {
    const img = document.createElement("img");
    img.alt = m.image.name;
    img.src = URL.createObjectURL(new Blob([bytes(m.image.data)], { type: m.image.type }));
    li.append(img);
  }
  append(li);
}

// bytes views a received binary (an ArrayBuffer in browsers) as bytes.
function bytes(b: Binary): Uint8Array<ArrayBuffer> {
  return b instanceof ArrayBuffer ? new Uint8Array(b) : new Uint8Array(b);
}

function notice(text: string): void {
  append(el("li", "notice", text));
}

function append(li: HTMLElement): void {
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.append(li);
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function renderRooms(): void {
  $("rooms").replaceChildren(
    ...rooms.map((r) => {
      const li = el("li", r.id === current ? "current" : "", `# ${r.title}`);
      li.dataset.room = r.id;
      li.append(el("span", "count", String(r.members)));
      li.addEventListener("click", () => switchRoom(r.id));
      return li;
    }),
  );
}

function renderMembers(): void {
  const users = [...members.values()].sort((a, b) => a.name.localeCompare(b.name));
  $("members").replaceChildren(...users.map((u) => el("li", u.id === me?.id ? "me" : "", u.id === me?.id ? `${u.name} (you)` : u.name)));
}

// ---- Wiring ----

$("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  $<HTMLButtonElement>("login-button").disabled = true;
  signIn($<HTMLInputElement>("name").value);
});
$("composer").addEventListener("submit", (e) => {
  e.preventDefault();
  void send();
});
$("text").addEventListener("input", onInput);
$("file").addEventListener("change", (e) => void pickImage((e.target as HTMLInputElement).files?.[0]));
$("attachment-remove").addEventListener("click", () => setAttachment(undefined));

const preset = params.get("name");
if (preset) signIn(preset);
