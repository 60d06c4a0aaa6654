package socketio

import (
	"bytes"
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// hostileServer is an Engine.IO server that answers the client's CONNECTs
// and then sends it whatever a fuzz input holds.
type hostileServer struct {
	mu     sync.Mutex
	frames []engineio.Frame
}

type hostileHandler struct {
	srv *hostileServer
	ss  *engineio.Session
}

func (h hostileHandler) HandleMessage(data []byte, binary bool) {
	if binary || len(data) == 0 || data[0] != '0' {
		return
	}
	nsp := "/"
	if i := bytes.IndexByte(data, ','); i > 0 && len(data) > 1 && data[1] == '/' {
		nsp = string(data[1:i])
	}
	prefix := ""
	if nsp != "/" {
		prefix = nsp + ","
	}
	h.ss.Send(engineio.TextFrame([]byte("0" + prefix + `{"sid":"s` + nsp + `","pid":"p"}`)))
	if nsp != "/" {
		return
	}
	h.srv.mu.Lock()
	frames := h.srv.frames
	h.srv.mu.Unlock()
	for _, f := range frames {
		if h.ss.Send(f) != nil {
			return
		}
	}
	h.ss.Send(engineio.TextFrame([]byte(`2["sentinel"]`)))
}

func (hostileHandler) HandleClose(engineio.CloseReason, error) {}

// hostileFrames splits a fuzz input into frames: 0xff separates them, and a
// frame that starts with 'B' is binary.
func hostileFrames(in []byte) []engineio.Frame {
	var out []engineio.Frame
	for _, part := range bytes.Split(in, []byte{0xff}) {
		if len(part) > 0 && part[0] == 'B' {
			out = append(out, engineio.BinaryFrame(bytes.Clone(part[1:])))
		} else {
			out = append(out, engineio.TextFrame(part))
		}
	}
	return out
}

// FuzzClientHostileServer: whatever a server sends, the client does not
// panic, and Manager.Close returns.
func FuzzClientHostileServer(f *testing.F) {
	for _, s := range []string{
		`2["x",1]`, `21["x"]`, `3`, `30[]`, `31["a"]`, `0`, `0{"sid":1}`, `4"no"`, `4{"message":5,"data":[1]}`,
		`1`, `1/a,`, `0/a,{"sid":"x"}`, `2/a,["y"]`, `51-["x",{"_placeholder":true,"num":0}]` + "\xffBabc",
		`51-["x",{"_placeholder":true,"num":0}]` + "\xff" + `2["x"]`, `2[]`, `2[1]`, `2[null]`, `2["x","off"]`,
		`61-[{"_placeholder":true,"num":0}]` + "\xffB\x00", `3` + "18446744073709551615[]", `2["connect"]`,
		`0{"sid":"again"}`, `2["x"]` + "\xff" + `1` + "\xff" + `2["x"]`, "B\x93\x02\xa1/\x91\xa1x",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	var eio *engineio.Server
	hs := &hostileServer{}
	eio = engineio.NewServer(func(ss *engineio.Session) engineio.Handler { return hostileHandler{hs, ss} }, nil)
	ts := httptest.NewServer(eio)
	f.Cleanup(func() { ts.Close(); eio.Shutdown(context.Background()) })
	f.Fuzz(func(t *testing.T, in []byte, msgpack bool) {
		hs.mu.Lock()
		hs.frames = hostileFrames(in)
		hs.mu.Unlock()
		codec := parser.JSON
		if msgpack {
			codec = parser.MessagePack
		}
		m := NewManager(ts.URL, &ManagerOptions{
			Parser:            codec,
			Transports:        []engineio.Transport{engineio.TransportWebSocket},
			ReconnectionDelay: time.Millisecond, ReconnectionDelayMax: time.Millisecond,
			MaxPendingEvents: 4,
		})
		done := make(chan struct{}, 1)
		handle := func(e *Event) {
			var v []any
			_ = e.Decode(&v)
			for _, a := range e.Args {
				var x any
				_ = a.Decode(&x)
				var b []byte
				_ = a.Decode(&b)
			}
			_ = e.Ack("ok", []byte{1})
			if e.Name == "sentinel" {
				select {
				case done <- struct{}{}:
				default:
				}
			}
		}
		for _, nsp := range []string{"/", "/a"} {
			s := m.Socket(nsp, &ClientSocketOptions{Auth: map[string]any{"k": "v"}})
			s.OnAny(handle)
			s.On("x", handle)
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				_ = s.Connect(ctx)
				_, _ = s.EmitWithAck(ctx, "q", 1)
				_ = s.Emit("e", []byte{2})
			}()
		}
		select {
		case <-done:
		case <-time.After(50 * time.Millisecond):
		}
		closed := make(chan struct{})
		go func() { m.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(10 * time.Second):
			t.Fatal("Manager.Close did not return")
		}
	})
}
