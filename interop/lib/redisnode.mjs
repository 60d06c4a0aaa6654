// Helpers of the mixed-cluster tests (redis.test.mjs): a redis-server of the test, a Node socket.io 4.8 node with
// @socket.io/redis-adapter (classic or sharded), the Go node (examples/cluster in -control mode, built once with
// `go build` from the repo root) and the Go emitter CLI (same binary, `emit`).
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createAdapter, createShardedAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { Server } from "socket.io";
import { io as ioc } from "socket.io-client";
import { freePort, REPO_ROOT } from "./goserver.mjs";

const execFileP = promisify(execFile);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts redis-server on a free port in a temporary directory; fails clearly when it is not installed. */
export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "siogen-redis-"));
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const spawnErr = await new Promise((resolve) => {
    child.once("error", resolve);
    child.once("spawn", () => resolve(null));
  });
  if (spawnErr) throw new Error(`redis-server could not be started (is it installed? apt-get install redis-server): ${spawnErr.message}`);
  const url = `redis://127.0.0.1:${port}`;
  const probe = createClient({ url });
  probe.on("error", () => {});
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await probe.connect();
      break;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`redis-server not ready: ${err.message}\n${output}`);
      await sleep(50);
    }
  }
  const info = await probe.info("server");
  const version = /redis_version:(\S+)/.exec(info)?.[1];
  return {
    url,
    addr: `127.0.0.1:${port}`,
    version,
    client: probe,
    stop: async () => {
      await probe.quit().catch(() => {});
      child.kill("SIGKILL");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Node socket.io node on the Redis, with the same handlers as the Go node of examples/cluster. */
export async function startNodeNode(redisUrl, { sharded = false, name = "node" } = {}) {
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  pub.on("error", () => {});
  sub.on("error", () => {});
  await Promise.all([pub.connect(), sub.connect()]);
  const http = createServer();
  const io = new Server(http, {
    adapter: sharded ? createShardedAdapter(pub, sub) : createAdapter(pub, sub),
  });
  const received = [];
  // Dynamic namespaces, as on the Go node; the tests connect to them here only.
  io.of(/^\/dyn-\d+$/).on("connection", (socket) => socket.on("join", (room, cb) => (socket.join(room), cb?.(name))));
  for (const nsp of [io.of("/"), io.of("/custom")]) {
    nsp.on("connection", (socket) => {
      socket.on("join", (room, cb) => {
        socket.join(room);
        cb?.(name);
      });
    });
    nsp.on("ping", (...args) => {
      const cb = typeof args[args.length - 1] === "function" ? args.pop() : null;
      received.push(["ping", ...args]);
      cb?.(`pong from ${name}`);
    });
    nsp.on("hello", (...args) => received.push(["hello", ...args]));
  }
  const port = await freePort();
  await new Promise((r) => http.listen(port, "127.0.0.1", r));
  return {
    io,
    url: `http://127.0.0.1:${port}`,
    received,
    stop: async () => {
      io.close();
      await Promise.all([pub.quit().catch(() => {}), sub.quit().catch(() => {})]);
    },
  };
}

let built;
/** Builds examples/cluster once per test process. */
export function clusterBinary() {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "siogen-cluster-"));
    const bin = join(dir, "cluster");
    try {
      await execFileP("go", ["build", "-o", bin, "./examples/cluster"], { cwd: REPO_ROOT, timeout: 300_000 });
    } catch (err) {
      throw new Error(`go build ./examples/cluster failed:\n${err.stderr || err.message}`);
    }
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    return bin;
  })();
  return built;
}

/** Starts the Go node (examples/cluster node -control) on a free port. */
export async function startGoNode(redisAddr, { sharded = false, name = "go" } = {}) {
  const bin = await clusterBinary();
  const port = await freePort();
  const args = ["node", "-addr", `127.0.0.1:${port}`, "-redis", redisAddr, "-name", name, "-control"];
  if (sharded) args.push("-sharded");
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (c) => (output += c));
  child.stderr.on("data", (c) => (output += c));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/control/received`, { method: "POST", body: "{}" });
      if (res.ok) break;
    } catch {}
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`Go node did not start:\n${output}`);
    await sleep(50);
  }
  return {
    url,
    output: () => output,
    /** Calls /control/<op> with body; resolves with result, rejects with the Go error. */
    control: async (op, body = {}) => {
      const res = await fetch(`${url}/control/${op}`, { method: "POST", body: JSON.stringify(body) });
      const json = await res.json();
      if (json.error) throw new Error(`go ${op}: ${json.error}`);
      return json.result;
    },
    stop: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await new Promise((r) => child.once("exit", r));
      }
    },
  };
}

/** Runs the Go emitter CLI (examples/cluster emit). */
export async function goEmit(redisAddr, args) {
  const bin = await clusterBinary();
  await execFileP(bin, ["emit", "-redis", redisAddr, ...args], { timeout: 10_000 });
}

/** A socket.io-client socket (websocket only) that records events; `next(name)` awaits one. */
export async function client(url, nsp = "/") {
  const socket = ioc(url + nsp, { transports: ["websocket"], forceNew: true, reconnection: false });
  const log = [];
  const waiters = [];
  socket.onAny((name, ...args) => {
    const i = waiters.findIndex((w) => w.name === name);
    if (i >= 0) waiters.splice(i, 1)[0].resolve(args);
    else log.push({ name, args });
  });
  socket.on("ask", (q, cb) => cb(`ack-${socket.id}`));
  const disconnects = [];
  socket.on("disconnect", (reason) => disconnects.push(reason));
  await new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return {
    socket,
    disconnects,
    next(name, timeoutMs = 3000) {
      const i = log.findIndex((e) => e.name === name);
      if (i >= 0) return Promise.resolve(log.splice(i, 1)[0].args);
      return new Promise((resolve, reject) => {
        const w = { name, resolve: (a) => (clearTimeout(t), resolve(a)) };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no "${name}" within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    /** Resolves true when no `name` arrives within ms. */
    async quiet(name, ms = 250) {
      await sleep(ms);
      return !log.some((e) => e.name === name);
    },
    close: () => socket.disconnect(),
  };
}
