// engine.io-client 6.6 against the server under test (SIOGEN_TARGET=go: examples/conformance; node: the reference).
// The server's /engine.io/ endpoint echoes every message; pingInterval 300, pingTimeout 200, maxHttpBufferSize 1e6.
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connect as netConnect } from "node:net";
import { ClientPool, bytesOf } from "./lib/eioclient.mjs";
import { startTarget, TARGET } from "./lib/target.mjs";

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;
const MAX_PAYLOAD = 1_000_000;

/** How a client reaches websocket or stays on polling. */
const MODES = {
  polling: { opts: { transports: ["polling"] }, final: "polling" },
  websocket: { opts: { transports: ["websocket"] }, final: "websocket" },
  upgrade: { opts: { transports: ["polling", "websocket"] }, final: "websocket" },
};

describe(`Engine.IO v4 interop: engine.io-client 6.6 -> ${TARGET} server`, () => {
  let server;
  const pool = new ClientPool();

  before(async () => {
    server = await startTarget();
  });
  after(async () => {
    pool.closeAll();
    await server?.stop();
  });
  afterEach(() => pool.closeAll());

  /** Opens a client in `mode` and, for "upgrade", waits until it runs on websocket. */
  async function connect(mode) {
    const c = pool.create(server.url, MODES[mode].opts);
    const upgraded = mode === "upgrade" ? c.upgraded(3000) : null;
    await c.opened();
    if (upgraded) await upgraded;
    assert.equal(c.socket.transport.name, MODES[mode].final);
    return c;
  }

  describe("(1)-(3) open and echo text", () => {
    it("(1) polling only: open, send text, get the echo", { timeout: 5000 }, async () => {
      const c = await connect("polling");
      assert.equal(await c.echo("hello"), "hello");
      assert.equal(await c.echo("héllo wörld ✓ 😀"), "héllo wörld ✓ 😀", "UTF-8 survives");
      // an empty message is the bare packet `4`; engine.io-client surfaces it as undefined (as with the Node server)
      assert.equal((await c.echo("")) ?? "", "", "empty message");
      assert.equal(c.socket.transport.name, "polling");
    });

    it("(2) websocket only: open, send text, get the echo", { timeout: 5000 }, async () => {
      const c = await connect("websocket");
      assert.equal(await c.echo("hello"), "hello");
      assert.equal(await c.echo("héllo wörld ✓ 😀"), "héllo wörld ✓ 😀", "UTF-8 survives");
      // an empty message is the bare packet `4`; engine.io-client surfaces it as undefined (as with the Node server)
      assert.equal((await c.echo("")) ?? "", "", "empty message");
    });

    it("(3) polling then upgrade: 'upgrade' event, then echo over websocket", { timeout: 5000 }, async () => {
      const c = pool.create(server.url, MODES.upgrade.opts);
      const upgraded = c.upgraded(3000);
      await c.opened();
      assert.equal(c.socket.transport.name, "polling", "starts on polling");
      assert.deepEqual(c.handshake.upgrades, ["websocket"]);
      assert.equal(await c.echo("before upgrade"), "before upgrade");
      assert.equal(await upgraded, "websocket");
      assert.equal(c.socket.transport.name, "websocket");
      assert.equal(await c.echo("after upgrade"), "after upgrade");
      assert.equal(c.socket.transport.name, "websocket");
    });
  });

  describe("(4) binary echo", () => {
    for (const mode of Object.keys(MODES)) {
      it(`${mode}: Uint8Array and Buffer [1,2,3,4] come back as identical bytes`, { timeout: 5000 }, async () => {
        const c = await connect(mode);
        const a = await c.echo(new Uint8Array([1, 2, 3, 4]));
        assert.deepEqual(bytesOf(a), [1, 2, 3, 4], "Uint8Array echoed as binary");
        const b = await c.echo(Buffer.from([1, 2, 3, 4]));
        assert.deepEqual(bytesOf(b), [1, 2, 3, 4], "Buffer echoed as binary");
        const all = Buffer.alloc(256);
        for (let i = 0; i < 256; i++) all[i] = i;
        assert.deepEqual(bytesOf(await c.echo(all)), [...all], "every byte value");
        assert.equal(await c.echo("4"), "4", "text that looks like a packet type stays text");
      });
    }
  });

  describe("(5) ordering", () => {
    it("200 messages (text and binary) sent around the upgrade are all echoed in order", { timeout: 8000 }, async () => {
      const c = pool.create(server.url, MODES.upgrade.opts);
      const expected = [];
      const send = (i) => {
        const m = i % 10 === 9 ? Buffer.from([i & 0xff, (i >> 8) & 0xff, 0xfe]) : `m${i}`;
        expected.push(typeof m === "string" ? m : [...m]);
        c.socket.send(m);
      };
      const upgraded = c.upgraded(5000);
      // 100 messages right after open (polling, while the probe is in flight) ...
      c.socket.once("open", () => {
        for (let i = 0; i < 100; i++) send(i);
      });
      // ... and 100 while the client has paused polling to switch transports.
      const upgradingSent = new Promise((resolve) =>
        c.socket.once("upgrading", () => {
          for (let i = 100; i < 200; i++) send(i);
          resolve();
        }),
      );
      await c.opened();
      assert.equal(await upgraded, "websocket");
      await upgradingSent;
      const got = [];
      for (let i = 0; i < 200; i++) {
        const m = await c.next(3000);
        got.push(typeof m === "string" ? m : bytesOf(m));
      }
      assert.deepEqual(got, expected);
      assert.equal(await c.echo("done"), "done");
    });

    it("200 messages in one burst on polling come back in order", { timeout: 8000 }, async () => {
      const c = await connect("polling");
      const expected = [];
      for (let i = 0; i < 200; i++) {
        expected.push(`p${i}`);
        c.socket.send(`p${i}`);
      }
      const got = [];
      for (let i = 0; i < 200; i++) got.push(await c.next(3000));
      assert.deepEqual(got, expected);
    });
  });

  describe("(6) messages near maxPayload", () => {
    for (const mode of ["polling", "websocket"]) {
      it(`${mode}: a 900 kB string is echoed intact`, { timeout: 10000 }, async () => {
        const c = await connect(mode);
        const big = "x".repeat(450_000) + "y".repeat(450_000);
        const back = await c.echo(big, 8000);
        assert.equal(typeof back, "string");
        assert.equal(back.length, big.length);
        assert.ok(back === big, "content identical");
        assert.equal(await c.echo("small after big"), "small after big");
      });

      it(`${mode}: a 600 kB binary message is echoed intact`, { timeout: 10000 }, async () => {
        const c = await connect(mode);
        const big = Buffer.alloc(600_000);
        for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
        const back = await c.echo(big, 8000);
        assert.notEqual(typeof back, "string", "binary stays binary");
        assert.ok(Buffer.from(bytesOf(back)).equals(big), "bytes identical");
      });
    }
  });

  describe("(7) oversize message", () => {
    for (const mode of ["polling", "websocket"]) {
      it(`${mode}: a 1.1 MB message closes the connection; a fresh one still works`, { timeout: 10000 }, async () => {
        const c = await connect(mode);
        assert.equal(await c.echo("ok"), "ok");
        c.socket.send("z".repeat(1_100_000));
        const { reason } = await c.whenClosed(5000);
        assert.match(reason, /transport (close|error)/);
        const fresh = await connect(mode);
        assert.equal(await fresh.echo("still alive"), "still alive");
      });
    }
  });

  describe("(8) heartbeat", () => {
    for (const mode of Object.keys(MODES)) {
      it(`${mode}: the connection stays open across more than 3 ping intervals`, { timeout: 6000 }, async () => {
        const c = await connect(mode);
        const pingsAtStart = c.pings;
        await sleep(4 * PING_INTERVAL + 100);
        assert.equal(c.closed, null, `closed: ${JSON.stringify(c.closed)}`);
        assert.equal(c.socket.readyState, "open");
        assert.ok(c.pings - pingsAtStart >= 3, `expected >= 3 pings, got ${c.pings - pingsAtStart}`);
        assert.equal(await c.echo("still here"), "still here");
      });
    }
  });

  describe("(9) handshake values", () => {
    const expectOpen = (h, upgrades) => {
      assert.deepEqual(Object.keys(h), ["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"]);
      assert.equal(typeof h.sid, "string");
      assert.ok(h.sid.length > 0);
      assert.deepEqual(h.upgrades, upgrades);
      assert.equal(h.pingInterval, PING_INTERVAL);
      assert.equal(h.pingTimeout, PING_TIMEOUT);
      assert.equal(h.maxPayload, MAX_PAYLOAD);
    };

    it("raw polling handshake: 200, `0{sid,upgrades:[websocket],pingInterval:300,pingTimeout:200,maxPayload:1000000}`", { timeout: 3000 }, async () => {
      const res = await fetch(`${server.url}/engine.io/?EIO=4&transport=polling`);
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
      const body = await res.text();
      assert.equal(body[0], "0", `open packet, got ${JSON.stringify(body.slice(0, 40))}`);
      expectOpen(JSON.parse(body.slice(1)), ["websocket"]);
    });

    it("client view on polling: socket.id and the handshake event match the options", { timeout: 3000 }, async () => {
      const c = await connect("polling");
      expectOpen(c.handshake, ["websocket"]);
      assert.equal(c.socket.id, c.handshake.sid);
    });

    it("client view on websocket only: upgrades is []", { timeout: 3000 }, async () => {
      const c = await connect("websocket");
      expectOpen(c.handshake, []);
      assert.equal(c.socket.id, c.handshake.sid);
    });

    it("each session gets a distinct sid", { timeout: 3000 }, async () => {
      const sids = new Set();
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${server.url}/engine.io/?EIO=4&transport=polling`);
        sids.add(JSON.parse((await res.text()).slice(1)).sid);
      }
      assert.equal(sids.size, 5);
    });
  });

  describe("(10) raw HTTP errors", () => {
    const cases = [
      ["missing EIO", "GET", "?transport=polling", 5, "Unsupported protocol version"],
      ["EIO=abc", "GET", "?EIO=abc&transport=polling", 5, "Unsupported protocol version"],
      ["EIO=3 (v3 not allowed)", "GET", "?EIO=3&transport=polling", 5, "Unsupported protocol version"],
      ["missing transport", "GET", "?EIO=4", 0, "Transport unknown"],
      ["bad transport", "GET", "?EIO=4&transport=abc", 0, "Transport unknown"],
      ["POST handshake", "POST", "?EIO=4&transport=polling", 2, "Bad handshake method"],
      ["PUT handshake", "PUT", "?EIO=4&transport=polling", 2, "Bad handshake method"],
      ["unknown sid (GET)", "GET", "?EIO=4&transport=polling&sid=doesnotexist", 1, "Session ID unknown"],
      ["unknown sid (POST)", "POST", "?EIO=4&transport=polling&sid=doesnotexist", 1, "Session ID unknown"],
    ];
    for (const [name, method, query, code, message] of cases) {
      it(`${name} -> 400 {"code":${code},"message":"${message}"}`, { timeout: 3000 }, async () => {
        const res = await fetch(`${server.url}/engine.io/${query}`, {
          method,
          body: method === "GET" ? undefined : "4hello",
        });
        assert.equal(res.status, 400);
        assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
        assert.equal(await res.text(), JSON.stringify({ code, message }));
      });
    }

    it("the sid of a closed session is unknown (400 code 1)", { timeout: 3000 }, async () => {
      const c = await connect("websocket");
      const sid = c.socket.id;
      c.close();
      // The server learns of the close asynchronously: until then the sid may still be known (a polling request
      // for a websocket session is a 400 "Bad request"), so poll until the session is forgotten.
      const seen = [];
      for (let i = 0; i < 40; i++) {
        const res = await fetch(`${server.url}/engine.io/?EIO=4&transport=polling&sid=${encodeURIComponent(sid)}`, {
          signal: AbortSignal.timeout(1000),
        });
        const body = await res.text();
        seen.push(`${res.status} ${body}`);
        if (res.status === 400 && body === '{"code":1,"message":"Session ID unknown"}') return;
        await sleep(25);
      }
      assert.fail(`sid never became unknown; responses: ${JSON.stringify([...new Set(seen)])}`);
    });
  });

  describe("(12) text that is not UTF-8", () => {
    const bad = Buffer.concat([Buffer.from("4a"), Buffer.from([0xff, 0xfe]), Buffer.from("b")]);

    it("polling: a POST's invalid bytes are decoded as U+FFFD, one per maximal subpart", { timeout: 3000 }, async () => {
      const hs = await (await fetch(`${server.url}/engine.io/?EIO=4&transport=polling`)).text();
      const url = `${server.url}/engine.io/?EIO=4&transport=polling&sid=${encodeURIComponent(JSON.parse(hs.slice(1)).sid)}`;
      const post = await fetch(url, { method: "POST", body: bad });
      assert.equal(post.status, 200);
      await post.text();
      const echo = Buffer.from(await (await fetch(url)).arrayBuffer());
      assert.deepEqual([...echo], [...Buffer.from("4a\ufffd\ufffdb")]);
    });

    it("websocket: a text message that is not UTF-8 closes the connection with 1007", { timeout: 3000 }, async () => {
      // A raw WebSocket (ws, under engine.io-client, would refuse to send it): handshake, one masked text frame.
      const { hostname, port } = new URL(server.url);
      const sock = netConnect(Number(port), hostname);
      let buf = Buffer.alloc(0);
      const frames = [];
      const closed = new Promise((resolve) => sock.once("close", resolve));
      sock.on("error", () => {});
      sock.on("data", (d) => {
        buf = Buffer.concat([buf, d]);
        if (frames.headers === undefined) {
          const end = buf.indexOf("\r\n\r\n");
          if (end < 0) return;
          frames.headers = buf.subarray(0, end).toString();
          buf = buf.subarray(end + 4);
        }
        for (;;) {
          if (buf.length < 2) return;
          let n = buf[1] & 0x7f;
          let h = 2;
          if (n === 126) [n, h] = [buf.length >= 4 ? buf.readUInt16BE(2) : Infinity, 4];
          if (buf.length < h + n) return;
          frames.push({ op: buf[0] & 0x0f, payload: buf.subarray(h, h + n) });
          buf = buf.subarray(h + n);
          if (frames.length === 1) {
            const mask = Buffer.from([1, 2, 3, 4]);
            const masked = Buffer.from(bad.map((b, i) => b ^ mask[i % 4]));
            sock.write(Buffer.concat([Buffer.from([0x81, 0x80 | masked.length]), mask, masked]));
          }
        }
      });
      sock.write(
        "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
      await closed;
      assert.match(frames.headers ?? "", /^HTTP\/1\.1 101/);
      assert.deepEqual(
        frames.map((f) => f.op),
        [1, 8],
        `the open packet, then a close frame: ${JSON.stringify(frames.map((f) => f.payload.toString()))}`,
      );
      assert.equal(frames[1].payload.readUInt16BE(0), 1007);
    });
  });

  describe("(11) CORS and concurrency", () => {
    it("CORS origin *: the handshake carries Access-Control-Allow-Origin: *", { timeout: 3000 }, async () => {
      const res = await fetch(`${server.url}/engine.io/?EIO=4&transport=polling`, {
        headers: { origin: "http://example.test" },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("access-control-allow-origin"), "*");
      await res.text();
    });

    it("6 concurrent clients (mixed transports) each get only their own echoes", { timeout: 8000 }, async () => {
      const modes = Object.keys(MODES);
      const clients = await Promise.all(Array.from({ length: 6 }, (_, i) => connect(modes[i % modes.length])));
      assert.deepEqual(clients.map((c) => c.closed), Array(6).fill(null), "no client closed");
      const ids = new Set(clients.map((c) => c.socket.id));
      assert.equal(ids.size, 6);
      await Promise.all(
        clients.map(async (c, i) => {
          for (let k = 0; k < 10; k++) assert.equal(await c.echo(`c${i}-${k}`), `c${i}-${k}`);
        }),
      );
    });
  });
});
