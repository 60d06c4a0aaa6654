// A small socket.io-client program written against siogen's generated
// types (testdata/golden/…). It is type-checked with tsc --strict, never run.
import { io } from "socket.io-client";
import type { ChatSocket, Message } from "../../testdata/golden/chat/chat.sio";
import { chatNamespace } from "../../testdata/golden/chat/chat.sio";
import type { Ack, OrgTeamSocket, WorkspaceSocket } from "../../testdata/golden/events/events.sio";
import { workspaceNamespace } from "../../testdata/golden/events/events.sio";
import type { Everything } from "../../testdata/golden/types/types.sio";

// A field of type any may be absent (JSON.stringify leaves undefined out, and
// the server accepts it); the others are required.
export const anyAbsent: Pick<Everything, "a"> = {};
// @ts-expect-error a required field cannot be left out.
export const requiredAbsent: Pick<Everything, "named"> = {};

export async function chat(url: string): Promise<void> {
  const socket: ChatSocket = io(url + chatNamespace, { auth: { token: "t" } });

  // emitWithAck is typed from the ack callback: the result is the envelope.
  const res = await socket.emitWithAck("send", { room: "lobby", text: "hi" });
  if (res.ok) {
    const m: Message = res.data;
    const when: string = m.sentAt;
    const files = m.files ?? [];
    for (const f of files) {
      const n: number = f.byteLength;
      void n;
    }
    void when;
  } else {
    // The codes of send: the built-in ones and rate_limited.
    switch (res.error.code) {
      case "rate_limited":
      case "invalid_argument":
      case "unimplemented":
      case "internal":
      case "timeout":
        console.log(res.error.message);
        break;
      default: {
        const never: never = res.error.code;
        void never;
      }
    }
  }

  const joined = await socket.timeout(1000).emitWithAck("join", { room: "lobby" });
  if (joined.ok) {
    console.log(joined.data.history.length);
  }

  socket.emit("typing", { room: "lobby" });
  socket.on("message", (m) => console.log(m.author.name, m.text));
  socket.on("presence", (p) => {
    const s: "online" | "away" | "offline" = p.state;
    void s;
  });

  // @ts-expect-error send needs a text: a wrong payload does not compile.
  socket.emit("send", { room: "lobby" }, () => {});
}

export async function workspace(url: string): Promise<void> {
  const socket: WorkspaceSocket = io(url + workspaceNamespace("42"), { auth: { token: "0123456789" } });
  const moved = await socket.emitWithAck("move", "doc_0000000a", 1, 2, { snap: true }, undefined);
  if (moved.ok) {
    const b: boolean = moved.data;
    void b;
  }
  const pong = await socket.emitWithAck("ping");
  if (pong.ok) console.log(pong.data + 1);
  const saved = await socket.emitWithAck("save", {
    doc: { id: "doc_0000000a", title: "t", body: "", version: 1 },
    base: 1,
  });
  if (!saved.ok && saved.error.code === "conflict") console.log("reload");
  socket.emit("leave");
  socket.on("doc:changed", (d) => console.log(d.version));
  socket.on("cursor", (id, line, col) => console.log(id, line + col));
  // The client answers the server's question with an ack envelope.
  socket.on("confirm", (question, ack) => {
    console.log(question);
    ack({ ok: true, data: "yes" });
  });
  // @ts-expect-error the answer must be one of the enum values.
  socket.on("confirm", (_q, ack) => ack({ ok: true, data: "maybe" }));
  // @ts-expect-error an enum answer carries its data.
  socket.on("confirm", (_q, ack) => ack({ ok: true }));
  socket.on("kicked", () => socket.disconnect());
  const noted = await socket.emitWithAck("note", undefined);
  if (noted.ok) console.log(noted.data);
}

// Ack data of type any or optional may be left out (the server accepts an
// envelope without data); other ack data is required.
export const anyAckAbsent: Ack<unknown> = { ok: true };
export const optionalAckAbsent: Ack<string | null | undefined> = { ok: true };
// @ts-expect-error a string ack carries its data.
export const requiredAckAbsent: Ack<string> = { ok: true };

// An optional payload a Go server leaves out arrives as null (JSON writes
// an absent argument so): a listener must take null.
export function team(socket: OrgTeamSocket): void {
  socket.on("notice", (text) => console.log(text ?? "no notice"));
  // @ts-expect-error a listener that does not take null does not compile.
  socket.on("notice", (text?: string) => console.log(text));
}
