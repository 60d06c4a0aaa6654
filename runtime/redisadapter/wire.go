package redisadapter

import (
	"context"

	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"github.com/redis/go-redis/v9"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
	"github.com/vmihailenco/msgpack/v5"
	"github.com/vmihailenco/msgpack/v5/msgpcode"
)

// Request types of the classic adapter (RequestType in @socket.io/redis-adapter).
const (
	reqSockets          = 0
	reqAllRooms         = 1
	reqRemoteJoin       = 2
	reqRemoteLeave      = 3
	reqRemoteDisconnect = 4
	reqRemoteFetch      = 5
	reqServerSideEmit   = 6
	reqBroadcast        = 7
	reqBroadcastCount   = 8
	reqBroadcastAck     = 9
)

// Message types of the sharded adapter (MessageType in socket.io-adapter's
// cluster adapter).
const (
	msgBroadcast            = 3
	msgSocketsJoin          = 4
	msgSocketsLeave         = 5
	msgDisconnectSockets    = 6
	msgFetchSockets         = 7
	msgFetchSocketsResponse = 8
	msgServerSideEmit       = 9
	msgServerSideEmitResp   = 10
	msgBroadcastClientCount = 11
	msgBroadcastAck         = 12
)

// wirePacket is a socket.io-parser packet object as the adapters carry it.
type wirePacket struct {
	Type int            `json:"type"`
	Data []parser.Value `json:"data"`
	Nsp  string         `json:"nsp,omitempty"`
}

// wireFlags are socket.io's BroadcastFlags.
type wireFlags struct {
	Volatile bool    `json:"volatile,omitempty"`
	Compress *bool   `json:"compress,omitempty"`
	Local    bool    `json:"local,omitempty"`
	Timeout  float64 `json:"timeout,omitempty"`
}

// wireOpts are broadcast options: rooms, except and (optionally) flags.
type wireOpts struct {
	Rooms  roomList   `json:"rooms"`
	Except roomList   `json:"except"`
	Flags  *wireFlags `json:"flags,omitempty"`
}

// roomList is a list of rooms from another node. Node's socket.io takes
// numbers for rooms too (socket.join(42), io.to(42)): they are read as
// their decimal string, the room a Go socket joins with Join("42"); other
// values (null, objects) name no room a socket can be in and are left out.
type roomList []string

// room returns the room v names, as JavaScript's String(v) writes a number.
func room(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return room(f)
		}
	}
	return "", false
}

func (l *roomList) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var vals []any
	if err := dec.Decode(&vals); err != nil {
		return err
	}
	*l = l.of(vals)
	return nil
}

func (l *roomList) DecodeMsgpack(d *msgpack.Decoder) error {
	n, err := d.DecodeArrayLen()
	if err != nil || n < 0 {
		*l = nil
		return err
	}
	var vals []any
	for range n {
		v, err := decodeScalar(d)
		if err != nil {
			return err
		}
		vals = append(vals, v)
	}
	if vals == nil {
		vals = []any{}
	}
	*l = l.of(vals)
	return nil
}

func (*roomList) of(vals []any) roomList {
	if vals == nil {
		return nil
	}
	out := make(roomList, 0, len(vals))
	for _, v := range vals {
		if r, ok := room(v); ok {
			out = append(out, r)
		}
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// dedup returns s without repeated elements, keeping the first of each.
func dedup(s []string) []string {
	out := make([]string, 0, len(s))
	for _, x := range s {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func flagsOf(f socketio.BroadcastFlags) *wireFlags {
	w := &wireFlags{Volatile: f.Volatile}
	if f.NoCompress {
		no := false
		w.Compress = &no
	}
	if f.Timeout > 0 {
		w.Timeout = float64(f.Timeout.Milliseconds())
	}
	return w
}

// optsOf converts adapter options for the wire; withFlags adds "flags".
func optsOf(o socketio.BroadcastOptions, withFlags bool) wireOpts {
	w := wireOpts{Rooms: nonNil(dedup(o.Rooms)), Except: nonNil(dedup(o.Except))}
	if withFlags {
		w.Flags = flagsOf(o.Flags)
	}
	return w
}

func (w *wireOpts) options() socketio.BroadcastOptions {
	if w == nil {
		return socketio.BroadcastOptions{}
	}
	o := socketio.BroadcastOptions{Rooms: w.Rooms, Except: w.Except}
	if w.Flags != nil {
		o.Flags.Volatile = w.Flags.Volatile
		o.Flags.NoCompress = w.Flags.Compress != nil && !*w.Flags.Compress
		o.Flags.Timeout = time.Duration(w.Flags.Timeout * float64(time.Millisecond))
	}
	return o
}

// validEvent reports whether data is an event socket.io-client accepts: a
// string name that Socket.IO does not reserve, or a number, then the
// arguments. A client that gets another one closes its connection with
// "parse error".
func validEvent(data []parser.Value) bool {
	if len(data) == 0 || data[0].IsNull() {
		return false
	}
	if name, ok := data[0].AsString(); ok {
		return !parser.IsReservedEvent(name)
	}
	var f float64
	return data[0].Decode(&f) == nil
}

// packetOf returns the event packet a peer sent, for namespace nsp.
func packetOf(w *wirePacket, nsp string) *parser.Packet {
	return &parser.Packet{Type: parser.Event, Namespace: nsp, Data: w.Data}
}

// mpMarshal encodes v as notepack.io does: json field names, compact ints,
// integral floats as ints, []byte as bin. parser.Values encode themselves
// (decoded MessagePack is copied byte for byte).
func mpMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := msgpack.NewEncoder(&buf)
	enc.SetCustomStructTag("json")
	enc.UseCompactInts(true)
	enc.UseCompactFloats(true)
	enc.SetSortMapKeys(true)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decode parses a message: JSON when it starts with '{', MessagePack else.
func decode(b []byte, v any) error {
	if len(b) > 0 && b[0] == '{' {
		return json.Unmarshal(b, v)
	}
	if err := checkNesting(b); err != nil {
		return err
	}
	dec := msgpack.NewDecoder(bytes.NewReader(b))
	dec.SetCustomStructTag("json")
	return dec.Decode(v)
}

// maxNesting bounds how deep the arrays and maps of a MessagePack message
// nest: the parser's limit for a value (10000), plus the envelope's levels.
const maxNesting = 10000 + 8

var errTooDeep = parser.ErrMsgpackTooDeep

// checkNesting fails when b is not whole MessagePack values or their
// arrays and maps nest deeper than maxNesting: decoding (msgpack's and the
// parser's) recurses once per level, and a few megabytes of nested arrays
// would overflow the stack.
func checkNesting(b []byte) error { return parser.CheckMsgpackNesting(b, maxNesting) }

// hasBinary reports whether vals contain binary data.
func hasBinary(vals []parser.Value) bool {
	frames, err := parser.JSON.Encode(&parser.Packet{Type: parser.Event, Data: vals})
	return err == nil && len(frames) > 1
}

// randomID returns n random bytes in hex.
func randomID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

const uidChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// uid2 returns an n-character id like npm uid2.
func uid2(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = uidChars[int(b[i])%len(uidChars)]
	}
	return string(b)
}

// stringOrList is a header or query value: one string or a list of them.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '[' {
		var l []string
		err := json.Unmarshal(b, &l)
		*s = l
		return err
	}
	var one string
	if err := json.Unmarshal(b, &one); err != nil {
		*s = nil
		return nil // numbers and the like: ignore
	}
	*s = []string{one}
	return nil
}

func (s *stringOrList) DecodeMsgpack(d *msgpack.Decoder) error {
	c, err := d.PeekCode()
	if err != nil {
		return err
	}
	if !msgpcode.IsFixedArray(c) && c != msgpcode.Array16 && c != msgpcode.Array32 {
		v, err := decodeScalar(d)
		if str, ok := v.(string); ok {
			*s = []string{str}
		}
		return err
	}
	n, err := d.DecodeArrayLen()
	for i := 0; err == nil && i < n; i++ {
		var v any
		v, err = decodeScalar(d)
		if str, ok := v.(string); ok {
			*s = append(*s, str)
		}
	}
	return err
}

// decodeScalar reads the next value when it is a string or a number and
// skips it otherwise. msgpack's DecodeInterface allocates a slice of the
// length an array announces before reading its elements: a few bytes from
// anyone who can publish on Redis would claim gigabytes.
func decodeScalar(d *msgpack.Decoder) (any, error) {
	c, err := d.PeekCode()
	if err != nil {
		return nil, err
	}
	switch {
	case msgpcode.IsString(c):
		return d.DecodeString()
	case msgpcode.IsFixedNum(c), c >= msgpcode.Float && c <= msgpcode.Int64:
		return d.DecodeInterfaceLoose()
	}
	return nil, d.Skip()
}

// wireHandshake is socket.handshake as Node describes it.
type wireHandshake struct {
	Headers map[string]stringOrList `json:"headers"`
	Time    string                  `json:"time"`
	Address string                  `json:"address"`
	XDomain bool                    `json:"xdomain"`
	Secure  bool                    `json:"secure"`
	Issued  int64                   `json:"issued"`
	URL     string                  `json:"url"`
	Query   map[string]stringOrList `json:"query"`
	Auth    parser.Value            `json:"auth"`
}

// wireSocket is one socket of a fetchSockets answer.
type wireSocket struct {
	ID        string        `json:"id"`
	Handshake wireHandshake `json:"handshake"`
	Rooms     roomList      `json:"rooms"`
	Data      parser.Value  `json:"data"`
}

// outHandshake is wireHandshake for encoding, values as Node writes them.
type outHandshake struct {
	Headers map[string]any `json:"headers"`
	Time    string         `json:"time"`
	Address string         `json:"address"`
	XDomain bool           `json:"xdomain"`
	Secure  bool           `json:"secure"`
	Issued  int64          `json:"issued"`
	URL     string         `json:"url"`
	Query   map[string]any `json:"query"`
	Auth    parser.Value   `json:"auth"`
}

type outSocket struct {
	ID        string       `json:"id"`
	Handshake outHandshake `json:"handshake"`
	Rooms     []string     `json:"rooms"`
	Data      parser.Value `json:"data"`
}

var emptyObject = parser.RawJSON([]byte("{}"))

// jsTime formats t as JavaScript's Date.prototype.toString does in UTC.
func jsTime(t time.Time) string {
	return t.UTC().Format("Mon Jan 02 2006 15:04:05 GMT+0000") + " (Coordinated Universal Time)"
}

func outSocketOf(si socketio.SocketInfo) outSocket {
	h := si.Handshake
	headers := make(map[string]any, len(h.Headers))
	for k, v := range h.Headers {
		k = strings.ToLower(k)
		switch {
		case len(v) == 1:
			headers[k] = v[0]
		case k == "set-cookie":
			headers[k] = v
		default:
			headers[k] = strings.Join(v, ", ")
		}
	}
	if h.Headers.Get("Host") == "" {
		// net/http moves Host out of the header map; Node keeps it.
		if u, err := url.Parse(h.URL); err == nil && u.Host != "" {
			headers["host"] = u.Host
		}
	}
	query := make(map[string]any, len(h.Query))
	for k, v := range h.Query {
		if len(v) == 1 {
			query[k] = v[0]
		} else {
			query[k] = v
		}
	}
	auth := h.Auth
	if auth.IsZero() {
		auth = emptyObject
	}
	data := parser.ValueOf(si.Data)
	if data.IsZero() {
		data = emptyObject
	}
	return outSocket{
		ID: si.ID,
		Handshake: outHandshake{
			Headers: headers, Time: jsTime(h.Time), Address: h.Address, XDomain: h.XDomain,
			Secure: h.Secure, Issued: h.Issued(), URL: h.URL, Query: query, Auth: auth,
		},
		Rooms: nonNil(si.Rooms),
		Data:  data,
	}
}

func outSocketsOf(l []socketio.SocketInfo) []outSocket {
	out := make([]outSocket, len(l))
	for i, si := range l {
		out[i] = outSocketOf(si)
	}
	return out
}

// info converts a remote socket. Data is a parser.Value (decode it with
// Value.Decode); the handshake's Auth too.
func (w *wireSocket) info() socketio.SocketInfo {
	h := socketio.Handshake{
		Headers: http.Header{}, Query: url.Values{}, Auth: w.Handshake.Auth,
		Address: w.Handshake.Address, Time: time.UnixMilli(w.Handshake.Issued),
		URL: w.Handshake.URL, Secure: w.Handshake.Secure, XDomain: w.Handshake.XDomain,
	}
	for k, v := range w.Handshake.Headers {
		h.Headers[http.CanonicalHeaderKey(k)] = v
	}
	for k, v := range w.Handshake.Query {
		h.Query[k] = v
	}
	return socketio.SocketInfo{ID: w.ID, Handshake: h, Rooms: w.Rooms, Data: w.Data}
}

func publishJSONTo(ctx context.Context, c redis.UniversalClient, channel string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Publish(ctx, channel, b).Err()
}
