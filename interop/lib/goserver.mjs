// The server under test: our Go conformance server (examples/conformance), run as a child process.
// Built once per test process with `go build` from the repo root (the parent of interop/), unless
// SIOGEN_CONFORMANCE_BIN names a prebuilt binary. Started with `-addr 127.0.0.1:PORT` on a free port,
// and the arguments in SIOGEN_GO_SERVER_ARGS (space-separated), e.g. `-listener=false`.
import { spawn, execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const execFileP = promisify(execFile);
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

let built; // Promise<string>: path of the binary built by this process
let buildDir;

/** Returns the path of the conformance server binary, building it on first use. */
export function conformanceBinary() {
  if (process.env.SIOGEN_CONFORMANCE_BIN) return Promise.resolve(process.env.SIOGEN_CONFORMANCE_BIN);
  built ??= (async () => {
    if (!existsSync(join(REPO_ROOT, "examples", "conformance"))) {
      throw new Error(
        `${join(REPO_ROOT, "examples", "conformance")} does not exist yet: ` +
          "set SIOGEN_TARGET=node to run against the reference server, or SIOGEN_CONFORMANCE_BIN to a built binary",
      );
    }
    buildDir = mkdtempSync(join(tmpdir(), "siogen-interop-"));
    const bin = join(buildDir, "conformance");
    try {
      await execFileP("go", ["build", "-o", bin, "./examples/conformance"], { cwd: REPO_ROOT, timeout: 300_000 });
    } catch (err) {
      throw new Error(`go build ./examples/conformance failed:\n${err.stderr || err.message}`);
    }
    process.once("exit", () => rmSync(buildDir, { recursive: true, force: true }));
    return bin;
  })();
  return built;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; there is a small window before the child binds it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitReady(url, child, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  let lastErr;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`conformance server exited early (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      const res = await fetch(`${url}/engine.io/?EIO=4&transport=polling`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      lastErr = new Error(`handshake answered ${res.status}`);
    } catch (err) {
      lastErr = err;
    }
    await sleep(50);
  }
  throw new Error(`conformance server not ready at ${url} after ${deadlineMs} ms: ${lastErr?.message}`);
}

/**
 * Builds (once) and starts the Go conformance server on a free port; resolves when
 * `GET /engine.io/?EIO=4&transport=polling` answers 200.
 * @returns {Promise<{name: string, url: string, stop: () => Promise<void>, output: () => string}>}
 */
export async function startGoServer() {
  const bin = await conformanceBinary();
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const extra = (process.env.SIOGEN_GO_SERVER_ARGS ?? "").split(" ").filter(Boolean);
    const child = spawn(bin, ["-addr", `127.0.0.1:${port}`, ...extra], { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk) => {
      output += chunk;
      if (output.length > 64 * 1024) output = output.slice(-32 * 1024);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const exited = new Promise((r) => child.once("exit", r));
    const kill = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(t);
      }
    };
    try {
      await waitReady(url, child, 15_000);
    } catch (err) {
      await kill();
      lastErr = new Error(`${err.message}\n--- server output ---\n${output}`);
      continue; // e.g. the port was taken in the meantime: try another one
    }
    if (process.env.SIOGEN_SERVER_LOG) child.stderr.pipe(process.stderr);
    return { name: "go", url, stop: kill, output: () => output };
  }
  throw lastErr;
}
