// Proves siogen's generated outputs with the real tools:
//   - tsc --strict compiles client.ts, a socket.io-client 4.8 program written
//     against the generated TypeScript (testdata/golden/*/*.sio.ts), including
//     `// @ts-expect-error` lines that only hold if a wrong payload fails to
//     compile;
//   - @asyncapi/parser validates every generated AsyncAPI document with no
//     error.
// The goldens are what `siogen generate` writes (cmd/siogen's Go tests keep
// them in sync). Run: npm ci && npm test
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { promisify } from "node:util";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const here = path.dirname(fileURLToPath(import.meta.url));
const golden = path.join(here, "..", "..", "testdata", "golden");

// The goldens must be what siogen generates now (skipped without Go).
test("the golden files are up to date (siogen generate -check)", async (t) => {
  const repo = path.join(here, "..", "..");
  for (const d of await readdir(golden, { withFileTypes: true })) {
    if (!d.isDirectory()) continue;
    try {
      await promisify(execFile)("go", ["run", "./cmd/siogen", "generate", "-check", "-config", path.join(golden, d.name, "siogen.yaml")], { cwd: repo });
    } catch (err) {
      if (err.code === "ENOENT") return t.skip("go is not installed");
      assert.fail(`siogen generate -check failed for ${d.name}:\n${err.stdout}${err.stderr}`);
    }
  }
});

test("tsc --strict compiles the client against the generated types", async () => {
  const tsc = path.join(here, "node_modules", "typescript", "bin", "tsc");
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [tsc, "-p", "tsconfig.json", "--strict", "--noEmit"], { cwd: here });
    assert.equal(stdout.trim(), "");
  } catch (err) {
    assert.fail(`tsc failed:\n${err.stdout}${err.stderr}`);
  }
});

test("client.ts has @ts-expect-error lines for wrong payloads", async () => {
  const src = await readFile(path.join(here, "client.ts"), "utf8");
  assert.ok(src.split("\n").filter((l) => l.includes("@ts-expect-error")).length >= 1);
});

const docs = (await readdir(golden, { withFileTypes: true }))
  .filter((d) => d.isDirectory())
  .map((d) => path.join(golden, d.name, `${d.name}.asyncapi.yaml`));

for (const file of docs) {
  test(`@asyncapi/parser validates ${path.relative(golden, file)}`, async () => {
    const parser = new Parser();
    const text = await readFile(file, "utf8");
    const { document, diagnostics } = await parser.parse(text, { source: file });
    const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
    const others = diagnostics.filter((d) => d.severity !== DiagnosticSeverity.Error);
    for (const d of others) console.log(`  note (${d.code}): ${d.message} at ${d.path.join(".")}`);
    assert.deepEqual(
      errors.map((d) => `${d.code}: ${d.message} at ${d.path.join(".")}`),
      [],
    );
    assert.ok(document, "no document");
    assert.equal(document.version(), "3.0.0");
  });
}
