package engineio

import (
	"io"
	"strings"
	"testing"
	"time"
)

// A session's reader (serve, then readMessage for what serve leaves) takes
// messages however they come: whole, several in one segment, cut anywhere,
// in fragments, between control frames, longer than its read buffer. Each
// part is written with a pause after it, so that the server reads it alone.
func TestWebSocketReadsCutAnywhere(t *testing.T) {
	text := func(ps ...string) []byte {
		var b []byte
		for _, p := range ps {
			b = append(b, clientFrame(0x80|opText, []byte(p))...)
		}
		return b
	}
	big := "4" + strings.Repeat("b", 70000)
	mid := "4" + strings.Repeat("m", 300)
	many := make([]string, 600) // 600 frames of 20 B: more than a read buffer
	for i := range many {
		many[i] = "4" + strings.Repeat(string(rune('a'+i%26)), 13)
	}
	two := text("4one", "4two")
	ping := func(p string) []byte { return clientFrame(0x80|opPing, []byte(p)) }
	tests := []struct {
		name  string
		parts [][]byte
		want  []string // in order; a pong shows as "pong:" and its payload
	}{
		{"whole", [][]byte{text("4hi")}, []string{"4hi"}},
		{"several at once", [][]byte{text("4a", "4b", "4c")}, []string{"4a", "4b", "4c"}},
		{"cut in the header", [][]byte{two[:1], two[1:]}, []string{"4one", "4two"}},
		{"cut in the payload", [][]byte{two[:4], two[4:9], two[9:]}, []string{"4one", "4two"}},
		{"whole, then a part", [][]byte{two[:len(two)-2], two[len(two)-2:]}, []string{"4one", "4two"}},
		{"16-bit length", [][]byte{text(mid, "4after")}, []string{mid, "4after"}},
		{"64-bit length", [][]byte{text(big, "4after")}, []string{big, "4after"}},
		{"more than a buffer", [][]byte{text(many...)}, many},
		{"fragmented", [][]byte{append(clientFrame(opText, []byte("4fr")), clientFrame(0x80|opContinuation, []byte("ag"))...)},
			[]string{"4frag"}},
		{"ping between", [][]byte{append(append(text("4x"), ping("p")...), text("4y")...)}, []string{"4x", "pong:p", "4y"}},
		{"ping alone", [][]byte{ping("q"), text("4z")}, []string{"pong:q", "4z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, calmOptions())
			c := dialRawWS(t, ts)
			for _, p := range tt.parts {
				c.write(p)
				time.Sleep(20 * time.Millisecond)
			}
			for i, want := range tt.want {
				op, p := c.read()
				got := string(p)
				if op == opPong {
					got = "pong:" + got
				}
				if got != want {
					t.Fatalf("message %d: %.40q (%d B), want %.40q (%d B)", i, got, len(got), want, len(want))
				}
			}
		})
	}
}

// The session closes the socket from inside its reader (a Close there only
// asks: see wsserve.go) when a packet ends it, alone or behind others in
// one segment; the connection ends and the session closes once.
func TestWebSocketClosesFromReader(t *testing.T) {
	msg := func(p string) []byte { return clientFrame(0x80|opText, []byte(p)) }
	tests := []struct {
		name   string
		send   []byte
		reason CloseReason
	}{
		{"close packet", msg("1"), ReasonTransportClose},
		{"close packet behind a message", append(msg("4a"), msg("1")...), ReasonTransportClose},
		{"bad packet", msg("x"), ReasonParseError},
		{"bad packet behind a message", append(msg("4a"), msg("x")...), ReasonParseError},
		{"messages behind a close packet", append(append(msg("1"), msg("4b")...), msg("4c")...), ReasonTransportClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, calmOptions())
			c := dialRawWS(t, ts)
			c.write(tt.send)
			if _, err := io.Copy(io.Discard, c.br); err != nil { // what it writes, then the end
				t.Fatalf("the connection did not end: %v", err)
			}
			if r := closeReason(t, ts); r != tt.reason {
				t.Fatalf("reason %q, want %q", r, tt.reason)
			}
		})
	}
}
