package engineio

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestClientAgainstServer runs our client against our server in every
// transport mode: echo of text and binary, order across the upgrade, a message
// near the limit, and both sides seeing the close.
func TestClientAgainstServer(t *testing.T) {
	ts := newTestServer(t, &Options{PingInterval: 200 * time.Millisecond, PingTimeout: 2 * time.Second})
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			url := ts.URL + "/engine.io/"
			c, rec := clientDial(t, url, mode, nil)
			for i := 0; i < 300; i++ {
				if err := c.Send(TextFrame([]byte(fmt.Sprint(i)))); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < 300; i++ {
				rec.expect(t, fmt.Sprint(i), false)
			}
			c.Send(BinaryFrame([]byte{1, 2, 3, 0x1e}))
			rec.expect(t, "\x01\x02\x03\x1e", true)
			big := strings.Repeat("x", 900_000)
			c.Send(TextFrame([]byte(big)))
			rec.expect(t, big, false)
			// Heartbeats keep it alive past several intervals.
			time.Sleep(700 * time.Millisecond)
			c.Send(TextFrame([]byte("alive")))
			rec.expect(t, "alive", false)
			if c.Transport() != mode.want {
				t.Fatalf("transport %s, want %s", c.Transport(), mode.want)
			}
			sid := c.ID()
			ts.eio.Session(sid).Close()
			if r, _ := rec.waitClose(t, 5*time.Second); r != ReasonTransportClose {
				t.Errorf("client saw %q, want transport close", r)
			}
			if r := ts.waitClose(t, sid); r != ReasonForcedClose {
				t.Errorf("server saw %q", r)
			}
		})
	}
}

// TestClientTLS: the client over https and wss, trusting the test server's
// certificate through its own http.Client.
func TestClientTLS(t *testing.T) {
	eio := NewServer(func(s *Session) Handler { return &echoHandler{s: s, closed: make(chan CloseReason, 1)} }, nil)
	hs := httptest.NewTLSServer(eio)
	defer hs.Close()
	defer eio.Shutdown(context.Background())
	for _, mode := range clientModes {
		t.Run(mode.name, func(t *testing.T) {
			c, rec := clientDial(t, hs.URL+"/engine.io/", mode, &DialOptions{HTTPClient: hs.Client()})
			c.Send(TextFrame([]byte("secret")))
			rec.expect(t, "secret", false)
			if !eio.Session(c.ID()).Request().TLS.HandshakeComplete {
				t.Fatal("server session is not over TLS")
			}
		})
	}
}
