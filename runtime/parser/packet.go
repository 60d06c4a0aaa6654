// Package parser is the Socket.IO v5 packet model and its two wire codecs:
// JSON (byte-compatible with npm socket.io-parser 4.2.x, including binary
// attachments) and MessagePack (byte-compatible with socket.io-msgpack-parser
// 3.0.2).
//
// A codec turns a [Packet] into Engine.IO frames ([engineio.Frame]) once, so a
// broadcast can queue the same frames to every socket, and gives each
// connection a stateful [Decoder] that turns received Engine.IO messages back
// into packets. Arguments received from the wire stay encoded inside a [Value]
// and are decoded only on demand, so a packet that is forwarded or echoed is
// re-encoded byte for byte.
//
// No input makes the decoders panic: every malformed packet yields an error
// that wraps [ErrInvalidPacket] (and a more precise sentinel).
package parser

import (
	"errors"
	"strconv"
	"sync"

	"github.com/siogen/siogen/engineio"
)

// Type is the Socket.IO packet type, sent as one ASCII digit.
type Type byte

// The Socket.IO v5 packet types.
const (
	Connect      Type = 0 // namespace connect (client: auth; server: {"sid":...})
	Disconnect   Type = 1 // namespace disconnect
	Event        Type = 2 // an event: [name, args...]
	Ack          Type = 3 // the reply to an event that carried an ack id
	ConnectError Type = 4 // namespace connect refused
	BinaryEvent  Type = 5 // EVENT with binary attachments (JSON codec wire form only)
	BinaryAck    Type = 6 // ACK with binary attachments (JSON codec wire form only)
)

// String returns the protocol name of the type ("EVENT", "BINARY_ACK"...).
func (t Type) String() string {
	switch t {
	case Connect:
		return "CONNECT"
	case Disconnect:
		return "DISCONNECT"
	case Event:
		return "EVENT"
	case Ack:
		return "ACK"
	case ConnectError:
		return "CONNECT_ERROR"
	case BinaryEvent:
		return "BINARY_EVENT"
	case BinaryAck:
		return "BINARY_ACK"
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Valid reports whether t is one of the seven packet types.
func (t Type) Valid() bool { return t <= BinaryAck }

// base maps BinaryEvent and BinaryAck to Event and Ack.
func (t Type) base() Type {
	switch t {
	case BinaryEvent:
		return Event
	case BinaryAck:
		return Ack
	}
	return t
}

// A Packet is one Socket.IO packet.
//
// Decoders always report binary packets as Event or Ack (the attachments are
// already put back in place, as socket.io-parser does); encoders accept Event
// and BinaryEvent (Ack and BinaryAck) alike and choose the wire type
// themselves.
type Packet struct {
	Type Type
	// Namespace is the namespace name; "/" when absent on the wire. An empty
	// Namespace is encoded as "/".
	Namespace string
	// ID is the ack id, meaningful only when HasID is set.
	ID    uint64
	HasID bool
	// Data is the payload's elements. Event: [event name, args...]; Ack: the
	// args; Connect and ConnectError: zero or one element (the auth / error
	// object, or the error string); Disconnect: none.
	Data []Value
}

// NewEvent returns an Event packet for namespace nsp with the event name and
// args wrapped by [ValueOf].
func NewEvent(nsp, name string, args ...any) *Packet {
	p, room := allocPacket(Event, nsp)
	data := roomFor(room, 1+len(args))[:1+len(args)]
	data[0] = ValueOf(name)
	for i, a := range args {
		data[1+i] = ValueOf(a)
	}
	p.Data = data
	return p
}

// packetAlloc is a Packet with room for two data elements in the same
// allocation: an event with one argument, decoded or built, costs one
// allocation for the packet and its data instead of two.
type packetAlloc struct {
	p    Packet
	data [2]Value
}

// allocPacket returns a new Packet and an empty slice of room for its Data
// in the same allocation (capacity 2); appending beyond it moves the data
// out like any slice.
func allocPacket(t Type, nsp string) (*Packet, []Value) {
	a := &packetAlloc{p: Packet{Type: t, Namespace: nsp}}
	return &a.p, a.data[:0]
}

// roomFor returns room (from allocPacket) when n elements fit in it, or else
// a new slice with capacity n; either is empty.
func roomFor(room []Value, n int) []Value {
	if n <= cap(room) {
		return room[:0]
	}
	return make([]Value, 0, n)
}

// EventName returns the event name of an Event packet: Data[0] when it is a
// string. ok is false for other packets and for numeric event names.
func (p *Packet) EventName() (name string, ok bool) {
	if p.Type.base() != Event || len(p.Data) == 0 {
		return "", false
	}
	if b, ok := p.Data[0].plainString(); ok {
		return intern(b), true
	}
	return p.Data[0].AsString()
}

// names holds the event names EventName has returned: an application has a
// few, and each incoming event would otherwise allocate its name again.
var names = struct {
	sync.RWMutex
	m map[string]string
}{m: map[string]string{}}

// Bounds of names: peers choose event names.
const (
	maxInterned    = 4096
	maxInternedLen = 64
)

// intern returns b as a string, from names when it is there.
func intern(b []byte) string {
	if len(b) > maxInternedLen {
		return string(b)
	}
	names.RLock()
	s, ok := names.m[string(b)]
	names.RUnlock()
	if ok {
		return s
	}
	s = string(b)
	names.Lock()
	if len(names.m) < maxInterned {
		names.m[s] = s
	}
	names.Unlock()
	return s
}

// Args returns the event arguments of an Event packet (Data without the
// name), or Data for any other packet.
func (p *Packet) Args() []Value {
	if p.Type.base() == Event && len(p.Data) > 0 {
		return p.Data[1:]
	}
	return p.Data
}

func (p *Packet) nsp() string {
	if p.Namespace == "" {
		return "/"
	}
	return p.Namespace
}

// A Codec encodes packets into Engine.IO frames and creates per-connection
// decoders. A Codec is safe for concurrent use. [JSON] and [MessagePack] are
// the two implementations.
type Codec interface {
	// Name is "json" or "msgpack".
	Name() string
	// Encode returns the frames of p, in the order they must be sent: the
	// packet itself first, then its binary attachments (JSON codec). Text
	// frames carry the Engine.IO message prefix '4'. The frames may alias
	// []byte arguments of p and the raw bytes of decoded Values: neither
	// must be modified afterwards. Encode does not modify p.
	Encode(p *Packet) ([]engineio.Frame, error)
	// NewDecoder returns a decoder for one connection.
	NewDecoder(opts DecoderOptions) Decoder
}

// An AppendEncoder is a Codec that encodes into memory of the caller's, for
// a caller that reuses it once the frames are sent (see
// engineio.Frame.Borrowed). Both codecs of this package implement it.
type AppendEncoder interface {
	Codec
	// AppendEncode appends the frames of p to frames, as Encode returns
	// them, the first one's bytes appended to buf (the others alias the
	// []byte arguments of p, as with Encode).
	AppendEncode(frames []engineio.Frame, buf []byte, p *Packet) ([]engineio.Frame, error)
}

// DecoderOptions configure a [Decoder].
type DecoderOptions struct {
	// MaxAttachments is the highest number of binary attachments a packet
	// may announce (JSON codec). Zero means 10, socket.io-parser's default.
	MaxAttachments int
}

// DefaultMaxAttachments is the attachment limit used when
// DecoderOptions.MaxAttachments is zero.
const DefaultMaxAttachments = 10

// A Decoder turns the Engine.IO messages of one connection into packets. It
// is stateful (a binary packet is followed by its attachments) and not safe
// for concurrent use.
type Decoder interface {
	// Add takes one Engine.IO message: the payload of a text message without
	// the '4' type digit, or the bytes of a binary message. It returns the
	// packet when one is complete and nil, nil while it waits for
	// attachments. After an error the decoder is reset; the connection
	// should be closed anyway. The returned packet may alias data, which
	// must not be modified afterwards.
	Add(data []byte, binary bool) (*Packet, error)
	// Reset drops a partially received packet.
	Reset()
}

// The errors of the decoders. Every one of them wraps ErrInvalidPacket, and
// the decoders wrap them with details: test with errors.Is.
var (
	// ErrInvalidPacket is wrapped by every decoding error.
	ErrInvalidPacket = errors.New("socket.io parser: invalid packet")
	// ErrInvalidType: unknown packet type.
	ErrInvalidType = kind("invalid packet type")
	// ErrInvalidNamespace: the namespace is malformed (msgpack: not a string).
	ErrInvalidNamespace = kind("invalid namespace")
	// ErrInvalidID: the ack id is not a non-negative integer that fits in uint64.
	ErrInvalidID = kind("invalid ack id")
	// ErrInvalidPayload: the payload is not valid JSON / MessagePack or has
	// the wrong shape for the packet type (for example an EVENT whose name is
	// reserved).
	ErrInvalidPayload = kind("invalid payload")
	// ErrInvalidAttachments: a malformed attachment count or a placeholder
	// whose num does not name an attachment.
	ErrInvalidAttachments = kind("illegal attachments")
	// ErrTooManyAttachments: more attachments than DecoderOptions.MaxAttachments.
	ErrTooManyAttachments = kind("too many attachments")
	// ErrUnexpectedText: a text message arrived while attachments were expected
	// (JSON codec), or at all (MessagePack codec).
	ErrUnexpectedText = kind("got plaintext data when reconstructing a packet")
	// ErrUnexpectedBinary: a binary message arrived when no attachment was
	// expected (JSON codec).
	ErrUnexpectedBinary = kind("got binary data when not reconstructing a packet")
)

// ErrUnsupportedValue is returned by the encoders for a value they cannot
// encode (a channel, a NaN, a map with non-string keys...).
var ErrUnsupportedValue = errors.New("socket.io parser: unsupported value")

type kindError struct{ msg string }

func kind(msg string) error        { return &kindError{"socket.io parser: " + msg} }
func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return ErrInvalidPacket }

// reservedEvents cannot be received as event names.
func reservedEvent(name string) bool {
	switch name {
	case "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener":
		return true
	}
	return false
}

// IsReservedEvent reports whether name is one of the event names Socket.IO
// reserves (connect, connect_error, disconnect, disconnecting, newListener,
// removeListener): they cannot be emitted and the decoders reject them.
func IsReservedEvent(name string) bool { return reservedEvent(name) }
