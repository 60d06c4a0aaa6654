// Mixed cluster: a Node socket.io 4.8 node with @socket.io/redis-adapter 8.3 and a Go node (examples/cluster, our
// runtime/redisadapter) on one redis-server, a socket.io-client on each, in classic and sharded mode. Broadcasts both
// ways (all, rooms, except, binary), fetchSockets / allRooms / socketsJoin from either side, serverSideEmit with acks
// both ways, broadcasts with acks across languages; in classic mode also the official @socket.io/redis-emitter
// driving the Go node and our Go emitter driving the Node node.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Emitter } from "@socket.io/redis-emitter";
import { client, goEmit, sleep, startGoNode, startNodeNode, startRedis } from "./lib/redisnode.mjs";

const sorted = (a) => [...a].sort();

async function until(cond, what, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

for (const sharded of [false, true]) {
  describe(`mixed Node/Go cluster through Redis (${sharded ? "sharded" : "classic"} adapter)`, () => {
    let redis, nodeNode, goNode, cN, cG;

    before(async () => {
      redis = await startRedis();
      if (sharded && !(Number(redis.version.split(".")[0]) >= 7)) throw new Error(`sharded mode needs Redis >= 7, got ${redis.version}`);
      nodeNode = await startNodeNode(redis.url, { sharded });
      goNode = await startGoNode(redis.addr, { sharded });
      cN = await client(nodeNode.url);
      cG = await client(goNode.url);
      await until(async () => (await goNode.control("serverCount")) === 2, "2 nodes");
    });

    after(async () => {
      cN?.close();
      cG?.close();
      await goNode?.stop();
      await nodeNode?.stop();
      await redis?.stop();
    });

    // In sharded mode a room has its own channel, subscribed to asynchronously when the room appears.
    const roomReady = async (room, n) => {
      if (!sharded) return;
      const ch = `socket.io#/#${room}#`;
      await until(async () => Number((await redis.client.sendCommand(["PUBSUB", "SHARDNUMSUB", ch]))[1]) === n, `${n} subscriber(s) of ${ch}`);
    };

    it("counts both nodes on both sides", async () => {
      assert.equal(await nodeNode.io.of("/").adapter.serverCount(), 2);
      assert.equal(await goNode.control("serverCount"), 2);
    });

    it("Node broadcasts reach the Go node's client, with binary", async () => {
      nodeNode.io.emit("ev", "from-node", Buffer.from([1, 2, 3]));
      for (const c of [cN, cG]) {
        const [s, b] = await c.next("ev");
        assert.equal(s, "from-node");
        assert.deepEqual([...new Uint8Array(b)], [1, 2, 3]);
      }
    });

    it("Go broadcasts reach the Node node's client, with binary", async () => {
      await goNode.control("emit", { event: "ev", args: ["from-go"], binary: "xy" });
      for (const c of [cN, cG]) {
        const [s, b] = await c.next("ev");
        assert.equal(s, "from-go");
        assert.equal(Buffer.from(b).toString(), "xy");
      }
    });

    it("a Go node's BroadcastEvent (a generated emitter) reaches a dynamic namespace only the Node node has", async () => {
      const c = await client(nodeNode.url, "/dyn-7");
      try {
        assert.equal(await c.socket.emitWithAck("join", "r9"), "node");
        // The Node node's adapter of /dyn-7 subscribes when the namespace appears.
        const ch = sharded ? "socket.io#/dyn-7#" : "socket.io-request#/dyn-7#";
        const cmd = sharded ? "SHARDNUMSUB" : "NUMSUB";
        await until(async () => Number((await redis.client.sendCommand(["PUBSUB", cmd, ch]))[1]) === 1, `a subscriber of ${ch}`);
        if (sharded) await until(async () => Number((await redis.client.sendCommand(["PUBSUB", "SHARDNUMSUB", "socket.io#/dyn-7#r9#"]))[1]) === 1, "room r9");
        const namespaces = await goNode.control("broadcastEvent", { nsp: "/dyn-7", event: "ev", args: ["to-dyn"] });
        assert.deepEqual(await c.next("ev"), ["to-dyn"]);
        assert.ok(!namespaces.includes("/dyn-7"), "the Go node created the namespace");
        await goNode.control("broadcastEvent", { nsp: "/dyn-7", rooms: ["r9"], event: "ev", args: ["to-room"] });
        assert.deepEqual(await c.next("ev"), ["to-room"]);
        await goNode.control("broadcastEvent", { nsp: "/dyn-7", rooms: ["other"], event: "ev", args: ["elsewhere"] });
        assert.ok(await c.quiet("ev"));
      } finally {
        c.socket.disconnect();
      }
    });

    it("rooms and except, both ways", async () => {
      assert.equal(await cG.socket.emitWithAck("join", "r1"), "go");
      assert.equal(await cN.socket.emitWithAck("join", "r2"), "node");
      await roomReady("r1", 1);
      await roomReady("r2", 1);
      nodeNode.io.to("r1").emit("ev", "node-to-r1");
      assert.deepEqual(await cG.next("ev"), ["node-to-r1"]);
      assert.ok(await cN.quiet("ev"));
      await goNode.control("emit", { rooms: ["r2"], event: "ev", args: ["go-to-r2"] });
      assert.deepEqual(await cN.next("ev"), ["go-to-r2"]);
      assert.ok(await cG.quiet("ev"));
      nodeNode.io.except("r2").emit("ev", "node-except-r2");
      assert.deepEqual(await cG.next("ev"), ["node-except-r2"]);
      assert.ok(await cN.quiet("ev"));
      await goNode.control("emit", { rooms: ["r1", "r2"], except: ["r1"], event: "ev", args: ["go-r1r2-except-r1"] });
      assert.deepEqual(await cN.next("ev"), ["go-r1r2-except-r1"]);
      assert.ok(await cG.quiet("ev"));
    });

    it("fetchSockets from either side", async () => {
      const fromNode = await nodeNode.io.fetchSockets();
      assert.deepEqual(sorted(fromNode.map((s) => s.id)), sorted([cN.socket.id, cG.socket.id]));
      const goSock = fromNode.find((s) => s.id === cG.socket.id);
      assert.ok(goSock.rooms.has("r1"), "rooms of the Go socket");
      assert.equal(typeof goSock.handshake.issued, "number");
      assert.equal(goSock.handshake.query.transport, "websocket");
      const inR1 = await nodeNode.io.in("r1").fetchSockets();
      assert.deepEqual(inR1.map((s) => s.id), [cG.socket.id]);
      const fromGo = await goNode.control("fetchSockets");
      assert.deepEqual(sorted(fromGo.map((s) => s.id)), sorted([cN.socket.id, cG.socket.id]));
      const nodeSock = fromGo.find((s) => s.id === cN.socket.id);
      assert.ok(nodeSock.rooms.includes("r2"));
      assert.deepEqual((await goNode.control("fetchSockets", { rooms: ["r2"] })).map((s) => s.id), [cN.socket.id]);
    });

    it("allRooms and socketsJoin / socketsLeave across nodes", async () => {
      if (!sharded) {
        const rooms = await nodeNode.io.of("/").adapter.allRooms();
        assert.ok(rooms.has("r1") && rooms.has(cG.socket.id), `Node allRooms: ${[...rooms]}`);
        const goRooms = await goNode.control("allRooms");
        assert.ok(goRooms.includes("r2") && goRooms.includes(cN.socket.id), `Go allRooms: ${goRooms}`);
      }
      nodeNode.io.in("r1").socketsJoin("r5"); // the Go socket
      await until(async () => (await goNode.control("fetchSockets", { rooms: ["r5"] })).length === 1, "Go socket in r5");
      await goNode.control("socketsJoin", { rooms: ["r2"], args: ["r6"] }); // the Node socket
      await until(async () => (await nodeNode.io.in("r6").local.fetchSockets()).length === 1, "Node socket in r6");
      await goNode.control("socketsLeave", { rooms: ["r6"], args: ["r6"] });
      await until(async () => (await nodeNode.io.in("r6").local.fetchSockets()).length === 0, "Node socket out of r6");
    });

    it("serverSideEmit with and without ack, both ways", async () => {
      const acks = await nodeNode.io.serverSideEmitWithAck("ping", "from-node");
      assert.deepEqual(acks, ["pong from go"]);
      const goAcks = await goNode.control("serverSideEmitWithAck", { event: "ping", args: ["from-go"] });
      assert.deepEqual(goAcks, ["pong from node"]);
      assert.deepEqual(nodeNode.received.pop(), ["ping", "from-go"]);
      nodeNode.io.serverSideEmit("hello", "world", 42);
      await goNode.control("serverSideEmit", { event: "hello", args: ["from-go", 7] });
      await until(async () => nodeNode.received.length > 0, "hello on the Node node");
      assert.deepEqual(nodeNode.received.pop(), ["hello", "from-go", 7]);
      let got = [];
      await until(async () => (got = got.concat(await goNode.control("received"))).length >= 2, "hello on the Go node");
      assert.deepEqual(got, [["ping", "from-node"], ["hello", "world", 42]]);
    });

    it("broadcast with acks collects both nodes' clients, from either side", async () => {
      const want = sorted([`ack-${cN.socket.id}`, `ack-${cG.socket.id}`]);
      const fromNode = await nodeNode.io.timeout(3000).emitWithAck("ask", "q");
      assert.deepEqual(sorted(fromNode), want);
      const fromGo = await goNode.control("emitWithAck", { event: "ask", args: ["q"], timeoutMs: 3000 });
      assert.deepEqual(sorted(fromGo), want);
      const r1 = await nodeNode.io.to("r1").timeout(3000).emitWithAck("ask", "q");
      assert.deepEqual(r1, [`ack-${cG.socket.id}`]);
    });

    it("numeric rooms of the Node node reach the Go node (as their decimal string)", async () => {
      assert.equal(await cG.socket.emitWithAck("join", "42"), "go");
      await roomReady("42", 1);
      nodeNode.io.to(42).emit("ev", "to-42");
      assert.deepEqual(await cG.next("ev"), ["to-42"]);
      assert.ok(await cN.quiet("ev"));
      nodeNode.io.except(7).emit("ev", "except-7");
      for (const c of [cN, cG]) assert.deepEqual(await c.next("ev"), ["except-7"]);
      nodeNode.io.except(42).emit("ev", "except-42");
      assert.deepEqual(await cN.next("ev"), ["except-42"]);
      assert.ok(await cG.quiet("ev"));
      if (!sharded) {
        new Emitter(redis.client).to(42).emit("ev", "emitter-to-42");
        assert.deepEqual(await cG.next("ev"), ["emitter-to-42"]);
        assert.ok(await cN.quiet("ev"));
      }
    });

    if (!sharded) {
      it("the official @socket.io/redis-emitter drives the Go node", async () => {
        const emitter = new Emitter(redis.client);
        emitter.emit("ev", "from-emitter", Buffer.from([0x0a, 0x0b]));
        for (const c of [cN, cG]) {
          const [s, b] = await c.next("ev");
          assert.equal(s, "from-emitter");
          assert.deepEqual([...new Uint8Array(b)], [0x0a, 0x0b]);
        }
        emitter.to("r1").volatile.emit("ev", "emitter-r1");
        assert.deepEqual(await cG.next("ev"), ["emitter-r1"]);
        assert.ok(await cN.quiet("ev"));
        emitter.in("r1").socketsJoin("r7");
        await until(async () => (await goNode.control("fetchSockets", { rooms: ["r7"] })).length === 1, "Go socket in r7");
        emitter.in("r7").socketsLeave("r7");
        await until(async () => (await goNode.control("fetchSockets", { rooms: ["r7"] })).length === 0, "Go socket out of r7");
        emitter.serverSideEmit("hello", "from-emitter");
        let got = [];
        await until(async () => (got = got.concat(await goNode.control("received"))).length >= 1, "serverSideEmit on Go");
        assert.deepEqual(got, [["hello", "from-emitter"]]);
        await until(async () => nodeNode.received.length > 0, "serverSideEmit on Node");
        assert.deepEqual(nodeNode.received.pop(), ["hello", "from-emitter"]);
      });

      it("our Go emitter drives the Node node", async () => {
        await goEmit(redis.addr, ["-event", "ev", '"from-go-emitter"', "{\"k\":true}"]);
        for (const c of [cN, cG]) assert.deepEqual(await c.next("ev"), ["from-go-emitter", { k: true }]);
        await goEmit(redis.addr, ["-to", "r2", "-event", "ev", '"go-emitter-r2"']);
        assert.deepEqual(await cN.next("ev"), ["go-emitter-r2"]);
        assert.ok(await cG.quiet("ev"));
        await goEmit(redis.addr, ["-to", "r2", "-join", "r8"]);
        await until(async () => (await nodeNode.io.in("r8").local.fetchSockets()).length === 1, "Node socket in r8");
        await goEmit(redis.addr, ["-server-side", "-event", "hello", '"from-go-emitter"']);
        await until(async () => nodeNode.received.length > 0, "serverSideEmit on Node");
        assert.deepEqual(nodeNode.received.pop(), ["hello", "from-go-emitter"]);
        await goEmit(redis.addr, ["-to", "r2", "-disconnect"]);
        await until(async () => cN.disconnects.length === 1, "Node client disconnected");
        assert.ok(cG.socket.connected);
      });
    }

    it("disconnectSockets from the Node node reaches the Go node's client", async () => {
      nodeNode.io.in(cG.socket.id).disconnectSockets();
      await until(async () => cG.disconnects.length === 1, "Go client disconnected");
      assert.equal(cG.disconnects[0], "io server disconnect");
    });
  });
}
