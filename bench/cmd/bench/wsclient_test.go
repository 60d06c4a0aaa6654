package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The generator's client against a conforming server (coder/websocket):
// lengths of every header size, a message in three frames, a ping answered
// while a read waits, the server's close, and a read that ctx ends.
func TestWSClient(t *testing.T) {
	got := make(chan []byte, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
		if err != nil {
			return
		}
		c.SetReadLimit(1 << 20)
		ctx := r.Context()
		for _, n := range []int{5, 125, 126, 65535, 65536, 70000} {
			typ, msg, err := c.Read(ctx)
			if err != nil || typ != websocket.MessageBinary || len(msg) != n {
				t.Errorf("server read %d bytes (%v), want %d binary", len(msg), err, n)
				return
			}
			got <- msg
			if err := c.Write(ctx, websocket.MessageBinary, msg); err != nil {
				return
			}
		}
		wr, _ := c.Writer(ctx, websocket.MessageText)
		for _, part := range []string{"one ", "two ", "three"} {
			wr.Write([]byte(part))
		}
		wr.Close()
		go c.CloseRead(ctx)                 // the ping needs its pong read
		if err := c.Ping(ctx); err != nil { // answered by the client's pending read
			t.Errorf("ping: %v", err)
		}
		c.Close(websocket.StatusNormalClosure, "bye")
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := dialWS(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/x?y=1")
	if err != nil {
		t.Fatal(err)
	}
	defer c.closeNow()
	for _, n := range []int{5, 125, 126, 65535, 65536, 70000} {
		msg := bytes.Repeat([]byte{byte(n)}, n)
		if err := c.write(ctx, true, msg); err != nil {
			t.Fatal(err)
		}
		if s := <-got; !bytes.Equal(s, msg) {
			t.Fatalf("server got %d bytes, not the %d sent", len(s), n)
		}
		bin, back, err := c.read(ctx)
		if err != nil || !bin || !bytes.Equal(back, msg) {
			t.Fatalf("echo of %d bytes: %d bytes, binary %v, %v", n, len(back), bin, err)
		}
	}
	bin, msg, err := c.read(ctx)
	if err != nil || bin || string(msg) != "one two three" {
		t.Fatalf("fragmented message: %q binary %v %v", msg, bin, err)
	}
	if _, _, err := c.read(ctx); !errors.Is(err, errWSClosed) {
		t.Fatalf("after the server's close: %v, want errWSClosed", err)
	}

	// A read blocked on a silent server ends with its context.
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		<-r.Context().Done()
	}))
	defer silent.Close()
	c2, err := dialWS(ctx, "ws"+strings.TrimPrefix(silent.URL, "http"))
	if err != nil {
		t.Fatal(err)
	}
	defer c2.closeNow()
	rctx, rcancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer rcancel()
	if _, _, err := c2.read(rctx); err == nil {
		t.Fatal("a read outlived its context")
	}
}

// A server that refuses the upgrade, or answers with a wrong accept value,
// fails the dial.
func TestWSClientHandshakeRefused(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"404": func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
		"bad accept": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Upgrade", "websocket")
			w.Header().Set("Connection", "Upgrade")
			w.Header().Set("Sec-WebSocket-Accept", "AAAA")
			w.WriteHeader(http.StatusSwitchingProtocols)
		},
	} {
		srv := httptest.NewServer(h)
		if c, err := dialWS(context.Background(), "ws"+strings.TrimPrefix(srv.URL, "http")); err == nil {
			c.closeNow()
			t.Errorf("%s: dial succeeded", name)
		}
		srv.Close()
	}
}
