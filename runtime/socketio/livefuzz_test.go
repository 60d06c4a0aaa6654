package socketio

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// liveServer is one server shared by the fuzz inputs of a process, with a
// bystander client that must keep working whatever the inputs do.
type liveServer struct {
	srv       *Server
	codec     parser.Codec
	http      *httptest.Server
	client    *http.Client
	bystander *Manager
	echo      *ClientSocket
}

// startLive starts a server with codec and its bystander; they are stopped
// when the fuzz target ends (once per process: fuzzing workers each run one).
func startLive(f *testing.F, codec parser.Codec) *liveServer {
	srv := NewServer(&ServerOptions{Parser: codec, MaxPendingEvents: 16, MaxNamespaces: 4, MaxRoomsPerSocket: 8})
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
				_ = s.Join(fmt.Sprint(len(e.Args)), fmt.Sprint(e.Args))
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
	// Served as the examples serve: WebSocket handshakes through the
	// server's Listener, the rest through net/http.
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener = srv.Listener(hs.Listener)
	hs.Start()
	tr := &http.Transport{}
	l := &liveServer{srv: srv, codec: codec, http: hs, client: &http.Client{Transport: tr}}
	l.bystander = NewManager(hs.URL, &ManagerOptions{HTTPClient: l.client, Parser: codec})
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

// The fragments the grammar builds packets from.
var (
	fuzzNamespaces = []string{"/", "/chat", "/nope", "/dyn", "/a,b", ""}
	fuzzPayloads   = []string{`["echo",1,"two",{"3":[true]}]`, `["join","x"]`, `["room",{"a":null}]`, `["ask",1]`,
		`{"token":"t"}`, `{"token":"x"}`, `[]`, `{}`, `["disconnect"]`, `[1.5e308]`, `["a",{"_placeholder":true,"num":0}]`,
		`["a",{"_placeholder":true,"num":"0"}]`, `"str"`, `null`, `[`, `{"pid":"x","offset":"y"}`}
)

// packetFrom builds one Engine.IO frame for the JSON codec from three fuzz
// bytes and a chunk.
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

// mpEncode encodes v as MessagePack, map keys sorted (inputs must replay
// the same bytes).
func mpEncode(v any) []byte {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetSortMapKeys(true)
	enc.UseCompactInts(true)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// The MessagePack grammar's fragments: well-formed values and the wire
// forms the decoder must refuse or survive (notepack extensions, wrong
// types, lengths that lie, deep nesting).
var (
	mpData = func() [][]byte {
		var out [][]byte
		for _, v := range []any{
			[]any{"echo", 1, "two", map[string]any{"3": []any{true}}}, []any{"join", "x"},
			[]any{"room", map[string]any{"a": nil}}, []any{"ask", 1}, map[string]any{"token": "t"},
			map[string]any{"token": "x"}, []any{}, map[string]any{}, []any{"disconnect"}, []any{1.5e308},
			[]any{"echo", []byte{1, 2, 3}}, "str", nil, []any{[]any{"x"}}, []any{map[string]any{"toString": "foo"}},
			[]any{nil}, []any{17, "numeric name"}, map[string]any{"pid": "x", "offset": "y"},
			[]any{"echo", int64(-1) << 62, uint64(1) << 63, float32(1.5)},
		} {
			out = append(out, mpEncode(v))
		}
		return append(out,
			[]byte("\x92\xa4echo\xd4\x00\x00"),                             // JS undefined (notepack fixext 1)
			[]byte("\x92\xa4echo\xd7\x00\x00\x00\x01\x8f\x00\x00\x00\x00"), // Date (fixext 8)
			[]byte("\x92\xa4echo\xc7\x03\x00\x01\x02\x03"),                 // ArrayBuffer (ext 8)
			[]byte("\x92\xa4echo\xd4\x05\x00"),                             // unknown extension type
			[]byte("\x93\xa1a"),                                            // truncated array
			[]byte("\xdd\xff\xff\xff\xff"),                                 // array of 4G elements, none there
			[]byte("\xdb\xff\xff\xff\xff"),                                 // string of 4 GB, none there
			[]byte("\x92\xa4echo\xc6\x7f\xff\xff\xff"),                     // bin of 2 GB, none there
			[]byte("\x92\xa4echo\xde\x00\x01\x01\x02"),                     // map with an integer key
			append(bytes.Repeat([]byte{0x91}, 2000), 0xc0),                 // deeply nested
			[]byte("\x92\xa4echo\xc1"),                                     // the never-used byte
		)
	}()
	mpTypes = [][]byte{{0xa1, '2'}, {0xff}, {0xcd, 0x01, 0x2c}, {0xcb, 0x40, 0, 0, 0, 0, 0, 0, 0}, {0xc0}, {0x07}, {0x90}}
	mpNsps  = [][]byte{{0x07}, {0xc0}, {0x91, 0xa1, '/'}, {0xa0}, []byte("\xa3/\x00x"), mpEncode(strings.Repeat("/", 40))}
	mpIDs   = [][]byte{{0xff}, {0xa1, '1'}, {0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0}, {0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, {0xc0}}
)

// msgpackPacketFrom builds one Engine.IO frame for the MessagePack codec
// from three fuzz bytes and a chunk: a packet map whose fields, their order,
// their types and the map's length the bytes choose.
func msgpackPacketFrom(op, a, b byte, chunk []byte) engineio.Frame {
	switch op % 8 {
	case 0: // raw bytes as a binary message
		return engineio.BinaryFrame(append([]byte(nil), chunk...))
	case 1: // raw bytes as a text message, which a MessagePack server does not expect
		return engineio.TextFrame(chunk)
	}
	type field struct {
		key string
		val []byte
	}
	typ := []byte{a % 7}
	if op%4 == 3 {
		typ = mpTypes[int(b)%len(mpTypes)]
	}
	fields := []field{{"type", typ}}
	if b%5 != 4 {
		nsp := mpEncode(fuzzNamespaces[int(b)%len(fuzzNamespaces)])
		if op%6 == 5 {
			nsp = mpNsps[int(a)%len(mpNsps)]
		}
		fields = append(fields, field{"nsp", nsp})
	}
	if a%7 != 1 || op%3 == 0 { // a DISCONNECT has no data, mostly
		data := mpData[int(a/7+b)%len(mpData)]
		if op%5 == 0 {
			data = chunk
		}
		fields = append(fields, field{"data", data})
	}
	if b%3 == 0 {
		id := mpEncode(b)
		if op%9 == 8 {
			id = mpIDs[int(a)%len(mpIDs)]
		}
		fields = append(fields, field{"id", id})
	}
	if op%11 == 10 {
		fields = append(fields, field{"extra", []byte{0x01}})
	}
	r := int(a) % len(fields)
	fields = append(fields[r:], fields[:r]...)
	n := len(fields)
	if op%7 == 6 {
		n += int(b%3) - 1 // a map length that lies
	}
	out := []byte{0x80 | byte(n&0x0f)}
	for _, f := range fields {
		out = append(out, mpEncode(f.key)...)
		out = append(out, f.val...)
	}
	return engineio.BinaryFrame(out)
}

// packet builds a frame with the grammar of l's codec.
func (l *liveServer) packet(op, a, b byte, chunk []byte) engineio.Frame {
	if l.codec == parser.MessagePack {
		return msgpackPacketFrom(op, a, b, chunk)
	}
	return packetFrom(op, a, b, chunk)
}

// connectFrames is the CONNECT to "/" in l's codec.
func (l *liveServer) connectFrames(t *testing.T) []engineio.Frame {
	frames, err := l.codec.Encode(&parser.Packet{Type: parser.Connect, Namespace: "/"})
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// FuzzLiveServer drives live servers with packet sequences. The first byte
// of the input chooses (bit 0) polling or WebSocket and (bits 1-2) the
// server and how the connection is made:
//
//	0: JSON codec, our Engine.IO client on the chosen transport
//	1: MessagePack codec, likewise
//	2: JSON codec, a polling session upgraded to WebSocket step by step
//	3: MessagePack codec, likewise
//
// In modes 2 and 3 the input scripts the upgrade, deviations included
// (probes out of order, garbage, polls during the upgrade, a second
// WebSocket). Whatever the sequence does to its own connection, the server
// must not panic, the session must end once its client has left, and the
// bystander must keep getting its echo.
func FuzzLiveServer(f *testing.F) {
	servers := [2]*liveServer{startLive(f, parser.JSON), startLive(f, parser.MessagePack)}
	for _, seed := range []string{
		"\x00\x02\x00\x00", "\x01\x02\x07\x01\x02\x02\x05\x00", "\x02\x02\x00\x02\x03\x00\x04\x01",
		"\x00\x00\x00\x00abc", "\x01\x01\x01\x01\x00\x01\x02", "\x00\x02\x05\x02\x02\x0c\x00\x02\x02\x02\x01",
		// MessagePack over WebSocket and polling.
		"\x02\x01\x02\x00\x03\x02\x07\x00", "\x03\x01\x02\x0e\x00\x04\x15\x01",
		// An upgrade in order, then an event over the WebSocket (JSON, MessagePack).
		"\x04\x01\x00\x00\x00\x01\x00\x00\x03\x00\x00\x19\x02\x00",
		"\x06\x01\x00\x00\x00\x01\x00\x00\x03\x00\x00\x19\x02\x00",
		// Out of order: "5" before "2probe", "3probe" from the client.
		"\x06\x01\x00\x00\x00\x03\x00\x00\x02\x00\x00\x01\x00\x00\x03\x00\x00",
		// A poll during the probe, garbage, a second WebSocket.
		"\x04\x01\x00\x00\x00\x01\x00\x00\x07\x00\x00\x04\x00\x02xy\x00\x01\x00\x01\x01\x00\x03\x00\x00",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 || len(in) > 4096 {
			return
		}
		mode := (in[0] >> 1) % 4
		l := servers[mode%2]
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var sid string
		if mode < 2 {
			sid = l.drive(ctx, t, in)
		} else {
			sid = l.upgradeDance(ctx, t, in)
		}
		// The session ends (a polling one closed by its client may stay
		// registered a while, for a last poll to collect its noop).
		if ss := l.srv.Engine().Session(sid); ss != nil {
			select {
			case <-ss.Done():
			case <-time.After(5 * time.Second):
				t.Fatalf("session %s outlived its client after input %q", sid, in)
			}
		}
		bctx, bcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer bcancel()
		got, err := l.echo.EmitWithAck(bctx, "ping", "still here")
		var s string
		if err != nil || len(got) != 1 || got[0].Decode(&s) != nil || s != "still here" {
			t.Fatalf("%s bystander after input %q: %v %v", l.codec.Name(), in, got, err)
		}
	})
}

// drive sends the input's packets through our Engine.IO client and returns
// the session id.
func (l *liveServer) drive(ctx context.Context, t *testing.T, in []byte) string {
	transports := []engineio.Transport{engineio.TransportWebSocket}
	if in[0]%2 == 1 {
		transports = []engineio.Transport{engineio.TransportPolling}
	}
	c, err := engineio.Dial(ctx, l.http.URL+"/socket.io/", discard{}, &engineio.DialOptions{
		Transports: transports, HTTPClient: l.client})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	// Join "/" first most of the time, so that later packets reach handlers.
	if in[1]%4 != 0 {
		_ = c.Send(l.connectFrames(t)...)
	}
	for i := 2; i+2 < len(in); i += 3 {
		n := int(in[i+2]%16) + 1
		end := min(i+3+n, len(in))
		if err := c.Send(l.packet(in[i], in[i+1], in[i+2], in[i+3:end])); err != nil {
			break // the server closed it: fine
		}
	}
	time.Sleep(2 * time.Millisecond)
	_ = c.Close()
	<-c.Done()
	return c.ID()
}

// dancer is a hand-driven client of one polling session: raw polls and
// POSTs, and WebSockets opened for its upgrade.
type dancer struct {
	t      *testing.T
	l      *liveServer
	sid    string
	ctx    context.Context // ends the pending polls and reads
	cancel context.CancelFunc
	ws     []*websocket.Conn
	wg     sync.WaitGroup
}

// url is the endpoint with the session's id and transport.
func (d *dancer) url(transport string) string {
	return d.l.http.URL + "/socket.io/?EIO=4&transport=" + transport + "&sid=" + d.sid
}

// post sends body as a polling payload; the answer does not matter.
func (d *dancer) post(body []byte) {
	req, err := http.NewRequestWithContext(d.ctx, http.MethodPost, d.url("polling"), bytes.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	if res, err := d.l.client.Do(req); err == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
	}
}

// poll starts a GET that waits, in the background, until the server
// answers or the dance ends.
func (d *dancer) poll() {
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		req, err := http.NewRequestWithContext(d.ctx, http.MethodGet, d.url("polling"), nil)
		if err != nil {
			return
		}
		if res, err := d.l.client.Do(req); err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
		}
	}()
}

// dial opens a WebSocket for the session and reads it in the background.
func (d *dancer) dial() {
	u := "ws" + strings.TrimPrefix(d.url("websocket"), "http")
	c, _, err := websocket.Dial(d.ctx, u, &websocket.DialOptions{HTTPClient: d.l.client})
	if err != nil {
		return // refused (session closed): fine
	}
	d.ws = append(d.ws, c)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for {
			if _, _, err := c.Read(d.ctx); err != nil {
				return
			}
		}
	}()
}

// write sends one message on the WebSocket that pick chooses, if any.
func (d *dancer) write(pick byte, f engineio.Frame) {
	if len(d.ws) == 0 {
		return
	}
	typ := websocket.MessageText
	if f.Binary {
		typ = websocket.MessageBinary
	}
	ctx, cancel := context.WithTimeout(d.ctx, time.Second)
	defer cancel()
	_ = d.ws[int(pick)%len(d.ws)].Write(ctx, typ, f.Data)
}

// upgradeDance opens a polling session and runs the input as a script of
// upgrade steps, 3 bytes each (op, a, b) followed by a chunk: op%10 picks
// the step, op/10 and a, b its details. It ends the way a client leaves
// (WebSockets dropped, a close packet posted) and returns the session id.
func (l *liveServer) upgradeDance(ctx context.Context, t *testing.T, in []byte) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.http.URL+"/socket.io/?EIO=4&transport=polling", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.client.Do(req)
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	var open struct {
		SID string `json:"sid"`
	}
	if res.StatusCode != http.StatusOK || len(body) == 0 || body[0] != '0' || json.Unmarshal(body[1:], &open) != nil {
		t.Fatalf("handshake: %d %q", res.StatusCode, body)
	}
	d := &dancer{t: t, l: l, sid: open.SID}
	d.ctx, d.cancel = context.WithCancel(ctx)
	if in[1]%4 != 0 {
		d.post(engineio.AppendPayload(nil, l.connectFrames(t)...))
	}
	for i := 2; i+2 < len(in); i += 3 {
		op, a, b := in[i], in[i+1], in[i+2]
		chunk := in[i+3 : min(i+3+int(b%16)+1, len(in))]
		switch op % 10 {
		case 0: // open a WebSocket (at most three)
			if len(d.ws) < 3 {
				d.dial()
			}
		case 1:
			d.write(a, engineio.Frame{Data: []byte("2probe")})
		case 2: // the server's half of the probe, from the client
			d.write(a, engineio.Frame{Data: []byte("3probe")})
		case 3:
			d.write(a, engineio.Frame{Data: []byte("5")})
		case 4: // garbage: raw bytes, no packet type
			d.write(a, engineio.Frame{Data: append([]byte(nil), chunk...), Binary: op/10%2 == 1})
		case 5: // a Socket.IO packet over the WebSocket
			d.write(a, l.packet(op/10, a, b, chunk))
		case 6: // a POST: a payload of one or two packets, or raw bytes
			switch op / 10 % 3 {
			case 0:
				d.post(append([]byte(nil), chunk...))
			case 1:
				d.post(engineio.AppendPayload(nil, l.packet(a, b, op, chunk)))
			default:
				d.post(engineio.AppendPayload(nil, l.packet(a, b, op, chunk), l.packet(b, a, op, chunk)))
			}
		case 7: // a poll, left pending
			d.poll()
		case 8: // drop a WebSocket
			if len(d.ws) > 0 {
				_ = d.ws[int(a)%len(d.ws)].CloseNow()
			}
		case 9:
			time.Sleep(time.Duration(b%4) * time.Millisecond)
		}
	}
	time.Sleep(2 * time.Millisecond)
	for _, c := range d.ws {
		_ = c.CloseNow()
	}
	d.cancel() // ends the pending polls (which closes a polling session) and the readers
	d.wg.Wait()
	d.ctx = ctx
	d.post([]byte("1")) // and a close packet, for a session still polling
	return d.sid
}

type discard struct{}

func (discard) HandleMessage([]byte, bool)              {}
func (discard) HandleClose(engineio.CloseReason, error) {}
