// Small helpers around engine.io-client 6.6 for the tests: open a client against the target, await messages.
import { Socket } from "engine.io-client";

/**
 * An engine.io-client Socket plus a FIFO of received messages and a record of its "close".
 */
export class Client {
  /** @param {string} url  @param {object} opts engine.io-client options */
  constructor(url, opts = {}) {
    this.received = [];
    this.waiters = [];
    this.pings = 0;
    this.closed = null; // {reason, description} once closed
    this.closeWaiters = [];
    this.handshake = null;
    this.socket = new Socket(url, { path: "/engine.io/", ...opts });
    this.socket.on("handshake", (data) => (this.handshake = data));
    this.socket.on("ping", () => this.pings++);
    this.socket.on("message", (data) => {
      const w = this.waiters.shift();
      if (w) w.resolve(data);
      else this.received.push(data);
    });
    this.socket.on("close", (reason, description) => {
      this.closed = { reason, description };
      const detail = describeClose(reason, description);
      for (const w of this.waiters.splice(0)) w.reject(new Error(`closed while waiting for a message: ${detail}`));
      for (const r of this.closeWaiters.splice(0)) r(this.closed);
    });
  }

  /** Resolves on "open"; rejects if the client closes or errors first. */
  opened(timeoutMs = 3000) {
    return new Promise((resolve, reject) => {
      if (this.socket.readyState === "open") return resolve(this);
      const t = setTimeout(() => reject(new Error(`no "open" within ${timeoutMs} ms`)), timeoutMs);
      this.socket.once("open", () => (clearTimeout(t), resolve(this)));
      this.socket.once("error", (err) => (clearTimeout(t), reject(new Error(`client error before open: ${err?.message ?? err}`))));
      this.socket.once("close", (reason) => (clearTimeout(t), reject(new Error(`closed before open: ${reason}`))));
    });
  }

  /** The next received message (buffered or future). */
  next(timeoutMs = 3000) {
    if (this.received.length) return Promise.resolve(this.received.shift());
    if (this.closed) return Promise.reject(new Error(`closed: ${this.closed.reason}`));
    return new Promise((resolve, reject) => {
      const w = {
        resolve: (v) => (clearTimeout(t), resolve(v)),
        reject: (e) => (clearTimeout(t), reject(e)),
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(`no message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Sends `data` and resolves with the next message. */
  async echo(data, timeoutMs = 3000) {
    this.socket.send(data);
    return this.next(timeoutMs);
  }

  /** Resolves with {reason, description} when the client emits "close". */
  whenClosed(timeoutMs = 3000) {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no "close" within ${timeoutMs} ms`)), timeoutMs);
      this.closeWaiters.push((c) => (clearTimeout(t), resolve(c)));
    });
  }

  /** Resolves on the "upgrade" event with the new transport's name. */
  upgraded(timeoutMs = 3000) {
    return new Promise((resolve, reject) => {
      if (this.socket.transport?.name === "websocket" && this.socket.readyState === "open") {
        return resolve("websocket");
      }
      const t = setTimeout(() => reject(new Error(`no "upgrade" within ${timeoutMs} ms`)), timeoutMs);
      this.socket.once("upgrade", (transport) => (clearTimeout(t), resolve(transport.name)));
      this.socket.once("upgradeError", (err) => (clearTimeout(t), reject(new Error(`upgradeError: ${err?.message ?? err}`))));
    });
  }

  close() {
    this.socket.close();
  }
}

/** Tracks every client a test opens so that afterEach can close them all. */
export class ClientPool {
  constructor() {
    this.clients = new Set();
  }
  /** Creates a client and waits for "open". */
  async open(url, opts) {
    const c = new Client(url, opts);
    this.clients.add(c);
    await c.opened();
    return c;
  }
  /** Creates a client without waiting. */
  create(url, opts) {
    const c = new Client(url, opts);
    this.clients.add(c);
    return c;
  }
  closeAll() {
    for (const c of this.clients) c.close();
    this.clients.clear();
  }
}

/** Bytes of a received binary message (Buffer / ArrayBuffer / view) as a plain array, or null if it is text. */
export function bytesOf(data) {
  if (typeof data === "string") return null;
  if (data instanceof ArrayBuffer) return [...new Uint8Array(data)];
  if (ArrayBuffer.isView(data)) return [...new Uint8Array(data.buffer, data.byteOffset, data.byteLength)];
  throw new TypeError(`unexpected message type ${Object.prototype.toString.call(data)}`);
}

/** A readable form of engine.io-client's close (reason, description): e.g. the HTTP status of a failed poll. */
export function describeClose(reason, description) {
  if (!description) return reason;
  const parts = [];
  if (description.message) parts.push(description.message);
  if (description.description !== undefined) {
    const d = description.description;
    parts.push(typeof d === "number" ? `status ${d}` : String(d?.message ?? d));
  }
  if (description.context?.status !== undefined) parts.push(`status ${description.context.status}`);
  if (description.context?.responseText) parts.push(`body ${JSON.stringify(String(description.context.responseText).slice(0, 200))}`);
  return `${reason} (${parts.join("; ")})`;
}
