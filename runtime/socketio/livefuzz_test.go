package socketio

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// liveServer is one server shared by the fuzz inputs of a process, with a
// bystander client that must keep working whatever the inputs do.
type liveServer struct {
	srv       *Server
	http      *httptest.Server
	client    *http.Client
	bystander *Manager
	echo      *ClientSocket
}

// startLive starts the server and the bystander; they are stopped when the
// fuzz target ends (once per process: fuzzing workers each run one).
func startLive(f *testing.F) *liveServer {
	{
		srv := NewServer(&ServerOptions{MaxPendingEvents: 16, MaxNamespaces: 4})
		srv.OfFunc(func(name string, _ parser.Value) bool { return len(name) < 12 })
		srv.Of("/chat").Use(func(s *Socket) error {
			var a struct {
				Token string `json:"token"`
			}
			if s.Handshake().Auth.Decode(&a) != nil || a.Token != "t" {
				return NewConnectError("no", map[string]any{"why": "token"})
			}
			return nil
		})
		srv.OnConnection(func(s *Socket) {
			s.OnAny(func(e *Event) {
				var args []any
				for _, a := range e.Args {
					args = append(args, a)
				}
				switch e.Name {
				case "join":
					s.Join(fmt.Sprint(len(e.Args)))
				case "room":
					_ = s.To("1").Emit("r", args...)
				case "ask":
					ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
					_, _ = s.EmitWithAck(ctx, "q", args...)
					cancel()
				}
				if e.WantsAck() {
					_ = e.Ack(args...)
				} else {
					_ = s.Emit("echo", args...)
				}
			})
		})
		hs := httptest.NewServer(srv)
		tr := &http.Transport{}
		l := &liveServer{srv: srv, http: hs, client: &http.Client{Transport: tr}}
		l.bystander = NewManager(hs.URL, &ManagerOptions{HTTPClient: l.client})
		l.echo = l.bystander.Socket("/", nil)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.echo.Connect(ctx); err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() {
			_ = l.bystander.Close()
			sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer scancel()
			_ = srv.Shutdown(sctx)
			hs.Close()
			tr.CloseIdleConnections()
		})
		return l
	}
}

// The fragments the grammar builds packets from.
var (
	fuzzNamespaces = []string{"/", "/chat", "/nope", "/dyn", "/a,b", ""}
	fuzzPayloads   = []string{`["echo",1,"two",{"3":[true]}]`, `["join","x"]`, `["room",{"a":null}]`, `["ask",1]`,
		`{"token":"t"}`, `{"token":"x"}`, `[]`, `{}`, `["disconnect"]`, `[1.5e308]`, `["a",{"_placeholder":true,"num":0}]`,
		`["a",{"_placeholder":true,"num":"0"}]`, `"str"`, `null`, `[`, `{"pid":"x","offset":"y"}`}
)

// packetFrom builds one Engine.IO frame from three fuzz bytes and a chunk.
func packetFrom(op, a, b byte, chunk []byte) engineio.Frame {
	switch op % 8 {
	case 0: // raw bytes as a text message
		return engineio.TextFrame(chunk)
	case 1: // raw bytes as a binary message
		return engineio.BinaryFrame(append([]byte(nil), chunk...))
	default: // a Socket.IO packet from the grammar
		typ := strconv.Itoa(int(a % 7))
		s := typ
		if a%7 >= 5 && b%2 == 0 {
			s += strconv.Itoa(int(b%3)) + "-"
		}
		if nsp := fuzzNamespaces[int(b)%len(fuzzNamespaces)]; nsp != "/" && nsp != "" {
			s += nsp + ","
		}
		if op%3 == 0 {
			s += strconv.Itoa(int(b))
		}
		payload := fuzzPayloads[int(a/7+b)%len(fuzzPayloads)]
		if op%5 == 0 {
			payload = string(chunk)
		}
		return engineio.TextFrame([]byte(s + payload))
	}
}

// FuzzLiveServer drives a live server with packet sequences over polling or
// WebSocket. Whatever the sequence does to its own connection, the server
// must not panic or leak, and the bystander must keep getting its echo.
func FuzzLiveServer(f *testing.F) {
	l := startLive(f)
	for _, seed := range []string{
		"\x00\x02\x00\x00", "\x01\x02\x07\x01\x02\x02\x05\x00", "\x02\x02\x00\x02\x03\x00\x04\x01",
		"\x00\x00\x00\x00abc", "\x01\x01\x01\x01\x00\x01\x02", "\x00\x02\x05\x02\x02\x0c\x00\x02\x02\x02\x01",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 || len(in) > 4096 {
			return
		}
		transports := []engineio.Transport{engineio.TransportWebSocket}
		if in[0]%2 == 1 {
			transports = []engineio.Transport{engineio.TransportPolling}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := engineio.Dial(ctx, l.http.URL+"/socket.io/", discard{}, &engineio.DialOptions{
			Transports: transports, HTTPClient: l.client})
		if err != nil {
			t.Fatalf("dial: %v", err)
		}
		// Join "/" first most of the time, so that later packets reach handlers.
		if in[1]%4 != 0 {
			_ = c.Send(engineio.TextFrame([]byte("0")))
		}
		for i := 2; i+2 < len(in); i += 3 {
			n := int(in[i+2]%16) + 1
			end := min(i+3+n, len(in))
			if err := c.Send(packetFrom(in[i], in[i+1], in[i+2], in[i+3:end])); err != nil {
				break // the server closed it: fine
			}
		}
		time.Sleep(2 * time.Millisecond)
		_ = c.Close()
		<-c.Done()

		got, err := l.echo.EmitWithAck(ctx, "ping", "still here")
		var s string
		if err != nil || len(got) != 1 || got[0].Decode(&s) != nil || s != "still here" {
			t.Fatalf("bystander after input %q: %v %v", in, got, err)
		}
	})
}

type discard struct{}

func (discard) HandleMessage([]byte, bool)              {}
func (discard) HandleClose(engineio.CloseReason, error) {}
