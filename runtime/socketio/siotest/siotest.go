// Package siotest runs a Socket.IO server on loopback and connects Go
// clients to it, for end-to-end tests of handlers, as net/http/httptest does
// for HTTP handlers:
//
//	func TestHello(t *testing.T) {
//		srv := siotest.NewServer(t, nil)
//		srv.OnConnection(func(s *socketio.Socket) {
//			s.On("hello", func(e *socketio.Event) { e.Ack("world") })
//		})
//		c := srv.Connect(t, "/", nil)
//		res, err := c.EmitWithAck(t.Context(), "hello")
//		...
//	}
//
// Everything it starts is stopped by t.Cleanup.
package siotest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/socketio"
)

// Server is a socketio.Server listening on a loopback address.
type Server struct {
	*socketio.Server
	// URL is the server's base URL, http://127.0.0.1:port.
	URL string

	opts socketio.ServerOptions
}

// NewServer starts a server with opts (nil: defaults) on loopback. It is
// shut down when the test ends.
func NewServer(t testing.TB, opts *socketio.ServerOptions) *Server {
	t.Helper()
	var o socketio.ServerOptions
	if opts != nil {
		o = *opts
	}
	srv := socketio.NewServer(&o)
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("siotest: Shutdown: %v", err)
		}
		hs.Close()
	})
	return &Server{Server: srv, URL: hs.URL, opts: o}
}

// ClientOptions configures a client of Connect and Manager.
type ClientOptions struct {
	// Auth is the CONNECT payload.
	Auth any
	// Transports: nil is polling then WebSocket.
	Transports []engineio.Transport
	// Manager options; Parser defaults to the server's, and HTTPClient to
	// one whose connections are closed when the test ends.
	Manager socketio.ManagerOptions
}

// Manager returns a Manager for the server, closed when the test ends.
func (s *Server) Manager(t testing.TB, opts *ClientOptions) *socketio.Manager {
	t.Helper()
	var o ClientOptions
	if opts != nil {
		o = *opts
	}
	mo := o.Manager
	if mo.Parser == nil {
		mo.Parser = s.Codec()
	}
	if mo.Transports == nil {
		mo.Transports = o.Transports
	}
	if mo.HTTPClient == nil {
		tr := &http.Transport{}
		t.Cleanup(tr.CloseIdleConnections)
		mo.HTTPClient = &http.Client{Transport: tr}
	}
	m := socketio.NewManager(s.URL, &mo)
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// Connect returns a client socket connected to namespace nsp, failing the
// test if it cannot connect within 10 seconds.
func (s *Server) Connect(t testing.TB, nsp string, opts *ClientOptions) *socketio.ClientSocket {
	t.Helper()
	var auth any
	if opts != nil {
		auth = opts.Auth
	}
	c := s.Manager(t, opts).Socket(nsp, &socketio.ClientSocketOptions{Auth: auth})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Connect(ctx); err != nil {
		t.Fatalf("siotest: connect to %s: %v", nsp, err)
	}
	return c
}
