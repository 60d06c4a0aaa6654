package socketio

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
)

// The handshake a socket sees — its URL (the request target as the client
// sent it, Node's handshake.url), query, headers and address — is the same
// whether the handshake came over polling or WebSocket, through net/http or
// through the server's Listener.
func TestHandshakeFields(t *testing.T) {
	for _, tc := range []struct {
		name      string
		listener  bool
		transport engineio.Transport
	}{
		{"net-http/polling", false, engineio.TransportPolling},
		{"net-http/websocket", false, engineio.TransportWebSocket},
		{"listener/polling", true, engineio.TransportPolling},
		{"listener/websocket", true, engineio.TransportWebSocket},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := NewServer(nil)
			got := make(chan Handshake, 1)
			srv.OnConnection(func(s *Socket) { got <- s.Handshake() })
			hs := httptest.NewUnstartedServer(srv)
			if tc.listener {
				hs.Listener = srv.Listener(hs.Listener)
			}
			hs.Start()
			defer hs.Close()
			defer srv.Shutdown(context.Background())

			before := time.Now()
			m := NewManager(hs.URL, &ManagerOptions{
				Transports: []engineio.Transport{tc.transport},
				Query:      url.Values{"room": {"a b/ç"}},
				Header:     http.Header{"X-Token": {"t1"}},
			})
			defer m.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := m.Socket("/", nil).Connect(ctx); err != nil {
				t.Fatal(err)
			}
			h := <-got

			path, rawQuery, ok := strings.Cut(h.URL, "?")
			if !ok || path != "/socket.io/" {
				t.Fatalf("URL %q: want /socket.io/?…", h.URL)
			}
			q, err := url.ParseQuery(rawQuery)
			if err != nil || !reflect.DeepEqual(q, h.Query) {
				t.Fatalf("URL %q has query %v (%v); Query is %v", h.URL, q, err, h.Query)
			}
			if q.Get("room") != "a b/ç" || q.Get("EIO") != "4" || q.Get("transport") != string(tc.transport) {
				t.Fatalf("Query %v", q)
			}
			if h.Headers.Get("X-Token") != "t1" || h.Address != "127.0.0.1" || h.Secure || h.XDomain {
				t.Fatalf("Headers %v, Address %q, Secure %v, XDomain %v", h.Headers, h.Address, h.Secure, h.XDomain)
			}
			if h.Time.Before(before) || time.Since(h.Time) > time.Minute {
				t.Fatalf("Time %v, connected after %v", h.Time, before)
			}
		})
	}
}
