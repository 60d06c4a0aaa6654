// Helpers around socket.io-client 4.8 for the Socket.IO tests: explicit Managers (never the global `io()` cache,
// which keys managers by host only and would mix server paths and parsers), a recorder of everything a socket sees,
// and binary normalisation.
import { Manager } from "socket.io-client";
import msgpackParser from "socket.io-msgpack-parser";

/** The two parsers, as socket.io-client's `parser` option (undefined = the default JSON parser). */
export const PARSERS = Object.freeze({ json: undefined, msgpack: msgpackParser });

/** How a client reaches its final transport. */
export const MODES = Object.freeze({
  polling: { transports: ["polling"], final: "polling" },
  websocket: { transports: ["websocket"], final: "websocket" },
  upgrade: { transports: ["polling", "websocket"], final: "websocket" },
});

/**
 * Records every event (onAny) and lifecycle event of a client Socket, in arrival order, and lets a test await
 * the next one of a given name. Lifecycle entries are named `$connect` (args: [id, recovered]), `$disconnect`
 * ([reason]) and `$connect_error` ([err]).
 */
export class Recorder {
  constructor(socket) {
    this.socket = socket;
    this.log = []; // {name, args, seq, taken}
    this.waiters = []; // {name, resolve}
    socket.onAny((name, ...args) => this.push(name, args));
    socket.on("connect", () => this.push("$connect", [socket.id, socket.recovered]));
    socket.on("disconnect", (reason) => this.push("$disconnect", [reason]));
    socket.on("connect_error", (err) => this.push("$connect_error", [err]));
  }

  push(name, args) {
    const entry = { name, args, seq: this.log.length, taken: false };
    this.log.push(entry);
    const i = this.waiters.findIndex((w) => w.names.includes(name));
    if (i >= 0) {
      entry.taken = true;
      this.waiters.splice(i, 1)[0].resolve(entry);
    }
  }

  /**
   * The next not yet consumed entry named `name` (buffered or future): resolves with the entry {name, args, seq}.
   * `name` may be an array: the first entry with any of these names.
   */
  nextEntry(name, timeoutMs = 3000) {
    const names = Array.isArray(name) ? name : [name];
    const e = this.log.find((x) => names.includes(x.name) && !x.taken);
    if (e) {
      e.taken = true;
      return Promise.resolve(e);
    }
    return new Promise((resolve, reject) => {
      const w = {
        names,
        resolve: (entry) => (clearTimeout(t), resolve(entry)),
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        const seen = this.log.map((x) => x.name).join(", ") || "nothing";
        reject(new Error(`no ${JSON.stringify(name)} within ${timeoutMs} ms (seen: ${seen})`));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** The args of the next `name` event. */
  async next(name, timeoutMs = 3000) {
    return (await this.nextEntry(name, timeoutMs)).args;
  }

  /** All entries named `name` so far (consumed or not). */
  all(name) {
    return this.log.filter((x) => x.name === name);
  }
}

/** Tracks every Manager a test opens so that afterEach can close them all. */
export class SioPool {
  /** @param {() => string} baseUrl */
  constructor(baseUrl) {
    this.baseUrl = baseUrl;
    this.managers = new Set();
  }

  /**
   * A new Manager (one Engine.IO connection) for the interop server at `path`.
   * @param {{path: string, parser: "json"|"msgpack", mode: keyof MODES, [k: string]: any}} o
   */
  manager({ path, parser, mode, ...opts }) {
    const m = new Manager(this.baseUrl(), {
      path,
      transports: MODES[mode].transports,
      parser: PARSERS[parser],
      reconnectionDelay: 100,
      reconnectionDelayMax: 200,
      randomizationFactor: 0,
      timeout: 3000,
      ...opts,
    });
    this.managers.add(m);
    return m;
  }

  /** A Socket for `nsp` on `manager` plus its Recorder (created before any packet can arrive). */
  socket(manager, nsp = "/", opts = {}) {
    const socket = manager.socket(nsp, opts);
    return { socket, rec: new Recorder(socket) };
  }

  /** A new Manager + Socket, resolved once the socket is connected (rejects on connect_error). */
  async connect(o, nsp = "/", socketOpts = {}) {
    const manager = this.manager(o);
    const c = this.socket(manager, nsp, socketOpts);
    await connected(c);
    return { manager, ...c };
  }

  closeAll() {
    for (const m of this.managers) {
      m.reconnection(false);
      for (const s of Object.values(m.nsps)) s.disconnect();
      m._close();
    }
    this.managers.clear();
  }
}

/** Resolves when the recorder's socket has (or had) its next `connect`; rejects on `connect_error` first. */
export async function connected({ rec }, timeoutMs = 3000) {
  const entry = await rec.nextEntry(["$connect", "$connect_error"], timeoutMs);
  if (entry.name === "$connect_error") {
    const err = entry.args[0];
    throw new Error(`connect_error: ${err?.message} ${JSON.stringify(err?.data ?? null)}`);
  }
  return entry;
}

/** Deep copy of `v` in which every binary value (Buffer, ArrayBuffer, typed array, DataView) is a Buffer. */
export function normalizeBinary(v) {
  if (Buffer.isBuffer(v)) return Buffer.from(v);
  if (v instanceof ArrayBuffer) return Buffer.from(new Uint8Array(v));
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  if (Array.isArray(v)) return v.map(normalizeBinary);
  if (v && typeof v === "object") {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = normalizeBinary(x);
    return o;
  }
  return v;
}

/** Whether `v` is a binary value as the client delivers it (not e.g. a `{type:"Buffer",data:[…]}` JSON object). */
export function isBinary(v) {
  return Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A room name unique to this process and call, so that tests never see each other's broadcasts. */
let roomSeq = 0;
export function uniqueRoom(prefix = "room") {
  return `${prefix}-${process.pid}-${++roomSeq}`;
}
