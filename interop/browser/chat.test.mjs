// The chat example (examples/chat) in real headless Chromium: the Go server and
// the Go bot run as child processes, two browser pages (separate browser
// contexts = separate users) talk through the embedded page, which uses the
// official socket.io-client. Once over WebSocket, once with WebSocket blocked
// (long-polling only). Screenshots go to interop/artifacts/.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { deflateSync, crc32 } from "node:zlib";
import { chromium } from "playwright-core";

const execFileP = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
const REPO_ROOT = resolve(HERE, "..", "..");
const ARTIFACTS = resolve(HERE, "..", "artifacts");
const CHROMIUM = process.env.SIOGEN_CHROMIUM || "/usr/bin/chromium";
// Without the background-networking flags Chromium keeps calling home.
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- a real PNG, made here: a 96×64 gradient with a stripe ----

function png(width, height) {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const stripe = Math.abs(x - y * 1.5) < 6;
      raw[row + 1 + x * 3] = stripe ? 255 : Math.round((x / width) * 80 + 40);
      raw[row + 2 + x * 3] = stripe ? 200 : Math.round((y / height) * 120 + 70);
      raw[row + 3 + x * 3] = stripe ? 40 : 219;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
const IMAGE = png(96, 64);
const sha256 = (b) => createHash("sha256").update(b).digest("hex");

// ---- the Go processes ----

function freePort() {
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

function startProcess(bin, args) {
  const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk) => {
    output += chunk;
    if (output.length > 256 * 1024) output = output.slice(-128 * 1024);
    if (process.env.SIOGEN_SERVER_LOG) process.stderr.write(chunk);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise((r) => child.once("exit", (code, signal) => r({ code, signal })));
  return {
    child,
    output: () => output,
    exited,
    // Ctrl-C, as a user would; SIGKILL if it does not stop in 5 s.
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill("SIGINT");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      const res = await exited;
      clearTimeout(t);
      return res;
    },
  };
}

async function waitFor(what, fn, ms = 15_000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      if (await fn()) return;
    } catch (err) {
      last = err;
    }
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
}

let buildDir, server, bot, browser, base;

before(async () => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium, or set SIOGEN_CHROMIUM)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  buildDir = mkdtempSync(join(tmpdir(), "siogen-chat-"));
  const chatBin = join(buildDir, "chat");
  const botBin = join(buildDir, "bot");
  await execFileP("go", ["build", "-o", chatBin, "./examples/chat"], { cwd: REPO_ROOT, timeout: 300_000 });
  await execFileP("go", ["build", "-o", botBin, "./examples/chat/bot"], { cwd: REPO_ROOT, timeout: 300_000 });

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = startProcess(chatBin, ["-addr", `127.0.0.1:${port}`]);
  await waitFor("the chat server", async () => (await fetch(base, { signal: AbortSignal.timeout(1000) })).ok);
  bot = startProcess(botBin, ["-url", base, "-room", "general"]);
  await waitFor("the bot to join", () => /msg=joined room=general/.test(bot.output()));

  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
});

after(async () => {
  await browser?.close();
  const b = await bot?.stop();
  const s = await server?.stop();
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  // Both stop gracefully on Ctrl-C.
  if (s) assert.equal(s.code, 0, `server exit ${JSON.stringify(s)}\n${server.output()}`);
  if (s) assert.match(server.output(), /msg=stopped/);
  if (b) assert.equal(b.code, 0, `bot exit ${JSON.stringify(b)}\n${bot.output()}`);
});

/** A new browser context (a separate user) and page; with blockWebSocket every WebSocket is refused. */
async function newPage({ blockWebSocket = false, query = "" } = {}) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const state = { wsBlocked: 0, errors: [] };
  if (blockWebSocket) {
    // The page's WebSocket opens and is closed at once, before reaching the
    // server: socket.io-client's upgrade probe fails and it stays on polling.
    await context.routeWebSocket(/.*/, (ws) => {
      state.wsBlocked++;
      ws.close({ code: 1008, reason: "blocked by the test" });
    });
  }
  const page = await context.newPage();
  page.on("pageerror", (err) => state.errors.push(err.message));
  page.on("console", (msg) => msg.type() === "error" && state.errors.push(msg.text()));
  await page.goto(`${base}/${query}`);
  return { context, page, state };
}

async function signIn(page, name) {
  await page.fill("#name", name);
  await page.click("#login-button");
  await page.waitForSelector('body[data-state="connected"][data-room="general"]');
}

const memberNames = (page) => page.$$eval("#members li", (lis) => lis.map((li) => li.textContent));

/** The last message whose text is `text`, as the page shows it. */
function messageWithText(page, text) {
  return page.locator(".msg", { has: page.locator(".text", { hasText: text }) }).last();
}

/** The bytes behind the <img> of a message (its blob: URL), as a hex SHA-256. */
async function imageHash(locator) {
  const bytes = await locator.locator("img").evaluate(async (img) => {
    await img.decode();
    if (img.naturalWidth !== 96 || img.naturalHeight !== 64) throw new Error(`image is ${img.naturalWidth}×${img.naturalHeight}`);
    return Array.from(new Uint8Array(await (await fetch(img.src)).arrayBuffer()));
  });
  return sha256(Buffer.from(bytes));
}

/** Two users chat in #general: typing, presence, a message with an image, the bot's answer. */
async function conversation(a, b, names, label) {
  const [an, bn] = names;
  await signIn(a.page, an);
  await signIn(b.page, bn);
  // Presence: each sees the other and the bot.
  await waitFor(`${an} to see ${bn}`, async () => (await memberNames(a.page)).includes(bn));
  assert.ok((await memberNames(a.page)).includes("bot"), "the bot is in the room");
  assert.ok((await memberNames(b.page)).includes(`${an}`), `${bn} sees ${an}`);
  await a.page.locator(".notice", { hasText: `${bn} joined` }).waitFor();

  // Typing indicator.
  await a.page.locator("#text").pressSequentially("look bot", { delay: 10 });
  await b.page.locator("#typing", { hasText: `${an} is typing` }).waitFor();

  // A message with an image.
  const text = `look bot, a picture (${label})`;
  await a.page.fill("#text", text);
  await a.page.setInputFiles("#file", { name: "gradient.png", mimeType: "image/png", buffer: IMAGE });
  await a.page.locator("#attachment", { hasText: "gradient.png" }).waitFor();
  await a.page.click("#send");

  const mine = messageWithText(a.page, text);
  await mine.locator("img").waitFor();
  const theirs = messageWithText(b.page, text);
  await theirs.locator("img").waitFor();
  assert.equal(await theirs.locator(".author").textContent(), an);
  assert.equal(await imageHash(theirs), sha256(IMAGE), `${bn} got the image's bytes`);
  assert.equal(await imageHash(mine), sha256(IMAGE));
  // Typing stopped with the message.
  await b.page.locator("#typing:empty").waitFor();

  // The bot answers, both see it.
  const answer = `Nice picture, ${an}! (image/png`;
  for (const p of [a.page, b.page]) {
    const m = p.locator(".msg", { has: p.locator(".author", { hasText: /^bot$/ }) }).filter({ hasText: answer });
    await m.last().waitFor();
  }
  // And plain text back.
  await b.page.fill("#text", `hi ${an}, nice!`);
  await b.page.press("#text", "Enter");
  await messageWithText(a.page, `hi ${an}, nice!`).waitFor();
}

describe("chat example in headless Chromium", { timeout: 120_000 }, () => {
  test("two users over WebSocket: image message, typing, presence, bot", async () => {
    const a = await newPage();
    const b = await newPage();
    try {
      await conversation(a, b, ["ann", "ben"], "websocket");
      for (const p of [a.page, b.page]) {
        await p.waitForSelector('body[data-transport="websocket"]');
      }
      await a.page.screenshot({ path: join(ARTIFACTS, "chat-websocket-ann.png") });
      await b.page.screenshot({ path: join(ARTIFACTS, "chat-websocket-ben.png") });
      assert.deepEqual([...a.state.errors, ...b.state.errors], []);

      // Presence: ben leaves (closes the tab), ann sees it.
      await b.context.close();
      await a.page.locator(".notice", { hasText: "ben left" }).waitFor();
      await waitFor("ben gone from the member list", async () => !(await memberNames(a.page)).includes("ben"));
    } finally {
      await a.context.close();
      await b.context.close();
    }
  });

  test("WebSocket blocked: the same over long-polling", async () => {
    // cat's WebSockets are refused by the network; dan asks for polling only.
    const a = await newPage({ blockWebSocket: true });
    const b = await newPage({ query: "?transports=polling" });
    try {
      await conversation(a, b, ["cat", "dan"], "polling");
      assert.ok(a.state.wsBlocked > 0, "cat's page tried to upgrade to WebSocket and was refused");
      for (const p of [a.page, b.page]) {
        assert.equal(await p.evaluate(() => document.body.dataset.transport), "polling");
      }
      // The history of #general (from the first test) reached the new users too.
      await messageWithText(a.page, "look bot, a picture (websocket)").locator("img").waitFor();
      await a.page.screenshot({ path: join(ARTIFACTS, "chat-polling-cat.png") });
      await b.page.screenshot({ path: join(ARTIFACTS, "chat-polling-dan.png") });
      assert.deepEqual([...a.state.errors, ...b.state.errors], []);
    } finally {
      await a.context.close();
      await b.context.close();
    }
  });

  test("a bad token is refused with a clear error; sending too fast is rate limited", async () => {
    const a = await newPage();
    try {
      await a.page.fill("#name", "   ");
      await a.page.click("#login-button");
      await a.page.locator("#login-error", { hasText: "invalid token: it is empty" }).waitFor();
      assert.equal(await a.page.evaluate(() => document.body.dataset.state), "signed-out");
      await a.page.screenshot({ path: join(ARTIFACTS, "chat-bad-token.png") });

      await signIn(a.page, "eve");
      // The burst is 5 messages, then one a second: sending as fast as the
      // acks come back is refused after about 5.
      const limited = a.page.locator("#send-error", { hasText: "Slow down: Too many messages" });
      let sent = 0;
      for (let i = 1; i <= 15 && !(await limited.isVisible()); i++) {
        await a.page.fill("#text", `flood ${i}`);
        await a.page.press("#text", "Enter");
        await messageWithText(a.page, `flood ${i}`).or(limited).first().waitFor();
        if (!(await limited.isVisible())) sent = i;
      }
      assert.ok(await limited.isVisible(), "rate_limited shown");
      assert.ok(sent >= 5, `${sent} messages passed before the limit`);
      assert.equal(await a.page.inputValue("#text"), `flood ${sent + 1}`, "the refused text stays in the box");
      await a.page.screenshot({ path: join(ARTIFACTS, "chat-rate-limited.png") });
    } finally {
      await a.context.close();
    }
  });

  test("switching rooms: history and members are per room", async () => {
    const a = await newPage();
    try {
      await signIn(a.page, "fay");
      await a.page.click('#rooms li[data-room="help"]');
      await a.page.waitForSelector('body[data-room="help"]');
      assert.deepEqual(await memberNames(a.page), ["fay (you)"]);
      await a.page.locator(".notice", { hasText: "This is the start of #help." }).waitFor();
      assert.equal(await a.page.locator(".msg").count(), 0);
      await a.page.locator('#rooms li[data-room="help"] .count', { hasText: "1" }).waitFor();
    } finally {
      await a.context.close();
    }
  });
});
