package engineio

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
)

// PacketType is the kind of an Engine.IO packet, sent as one ASCII digit.
type PacketType byte

// The Engine.IO v4 packet types.
const (
	PacketOpen    PacketType = '0' // server to client, at handshake
	PacketClose   PacketType = '1' // either side: close the session
	PacketPing    PacketType = '2' // server to client (or "2probe" during an upgrade)
	PacketPong    PacketType = '3' // client to server (or "3probe")
	PacketMessage PacketType = '4' // application data
	PacketUpgrade PacketType = '5' // client to server: switch to the probed transport
	PacketNoop    PacketType = '6' // no operation, used to release a pending poll
)

// String returns the protocol name of the packet type.
func (t PacketType) String() string {
	switch t {
	case PacketOpen:
		return "open"
	case PacketClose:
		return "close"
	case PacketPing:
		return "ping"
	case PacketPong:
		return "pong"
	case PacketMessage:
		return "message"
	case PacketUpgrade:
		return "upgrade"
	case PacketNoop:
		return "noop"
	}
	return "PacketType(" + strconv.Itoa(int(t)) + ")"
}

// Valid reports whether t is one of the seven packet types.
func (t PacketType) Valid() bool { return t >= PacketOpen && t <= PacketNoop }

// recordSeparator joins packets in a long-polling payload.
const recordSeparator = 0x1e

// ErrParse is wrapped by every error the packet and payload decoders return.
var ErrParse = errors.New("engineio: parse error")

// A Packet is one Engine.IO packet.
//
// A binary packet is always a message: it has no type digit on the wire
// (WebSocket binary frame, or "b"+base64 inside a polling payload).
type Packet struct {
	Type   PacketType
	Data   []byte
	Binary bool
}

// A Frame is one Engine.IO packet encoded for the wire. A text frame holds the
// type digit followed by the payload ("4hello"); a binary frame holds the raw
// message bytes. Frames are immutable once built, so one frame can be queued
// to many sessions (a broadcast encodes once).
type Frame struct {
	Data   []byte
	Binary bool
	// NoCompress asks that the frame not be compressed: over WebSocket with
	// permessage-deflate it is sent uncompressed, and a polling response
	// that carries it is not gzipped (Socket.IO's compress(false)).
	NoCompress bool
	// Borrowed says that Data is lent for the duration of Send only: the
	// caller reuses its bytes once Send returns (a pooled encoding buffer).
	// A Session or Client that keeps the frame beyond the call (queued
	// behind other frames, for a polling request, during an upgrade) keeps
	// a copy; one written to a WebSocket at once costs no copy.
	Borrowed bool
}

// Kept returns f as something that Send may keep beyond its call: f itself,
// or, when f is Borrowed, f with a copy of its Data.
func (f Frame) Kept() Frame {
	if f.Borrowed {
		f.Data, f.Borrowed = bytes.Clone(f.Data), false
	}
	return f
}

// appendKept appends frames to q, a queue that outlives the call that lent
// them (Frame.Kept).
func appendKept(q []Frame, frames []Frame) []Frame {
	for _, f := range frames {
		q = append(q, f.Kept())
	}
	return q
}

// TextFrame returns the frame of a text message: '4' followed by data.
func TextFrame(data []byte) Frame {
	b := make([]byte, 1+len(data))
	b[0] = byte(PacketMessage)
	copy(b[1:], data)
	return Frame{Data: b}
}

// BinaryFrame returns the frame of a binary message. It does not copy data.
func BinaryFrame(data []byte) Frame { return Frame{Data: data, Binary: true} }

// ControlFrame returns the text frame of a packet of type t with data.
func ControlFrame(t PacketType, data string) Frame {
	b := make([]byte, 1+len(data))
	b[0] = byte(t)
	copy(b[1:], data)
	return Frame{Data: b}
}

// Packet returns the packet that f encodes. It fails on a text frame with an
// unknown type digit or no digit at all.
func (f Frame) Packet() (Packet, error) {
	if f.Binary {
		return Packet{Type: PacketMessage, Data: f.Data, Binary: true}, nil
	}
	return DecodePacket(f.Data)
}

// Frame returns the wire form of p.
func (p Packet) Frame() Frame {
	if p.Binary {
		return BinaryFrame(p.Data)
	}
	b := make([]byte, 1+len(p.Data))
	b[0] = byte(p.Type)
	copy(b[1:], p.Data)
	return Frame{Data: b}
}

// DecodePacket decodes one text packet ("4hello", "2probe", "6").
// The returned packet's Data aliases b.
func DecodePacket(b []byte) (Packet, error) {
	if len(b) == 0 {
		return Packet{}, fmt.Errorf("%w: empty packet", ErrParse)
	}
	t := PacketType(b[0])
	if !t.Valid() {
		return Packet{}, fmt.Errorf("%w: unknown packet type %q", ErrParse, b[0])
	}
	return Packet{Type: t, Data: b[1:]}, nil
}

// AppendPayload appends the long-polling encoding of frames to dst: the
// packets joined by the record separator 0x1e, binary ones as "b" followed by
// standard padded base64.
func AppendPayload(dst []byte, frames ...Frame) []byte {
	for i, f := range frames {
		if i > 0 {
			dst = append(dst, recordSeparator)
		}
		if f.Binary {
			dst = append(dst, 'b')
			dst = base64.StdEncoding.AppendEncode(dst, f.Data)
		} else {
			dst = append(dst, f.Data...)
		}
	}
	return dst
}

// payloadLen returns the length of f inside a polling payload.
func payloadLen(f Frame) int {
	if f.Binary {
		return 1 + base64.StdEncoding.EncodedLen(len(f.Data))
	}
	return len(f.Data)
}

// DecodePayload decodes a long-polling payload into its packets, calling fn
// for each in order. It stops at the first malformed packet and returns its
// error (wrapping ErrParse); packets before it have been passed to fn. Text
// packets' data aliases b; binary data is freshly allocated.
func DecodePayload(b []byte, fn func(Packet) error) error {
	if len(b) == 0 {
		return fmt.Errorf("%w: empty payload", ErrParse)
	}
	for start := 0; start <= len(b); {
		end := start
		for end < len(b) && b[end] != recordSeparator {
			end++
		}
		part := b[start:end]
		var p Packet
		if len(part) > 0 && part[0] == 'b' {
			data, err := base64.StdEncoding.AppendDecode(nil, part[1:])
			if err != nil {
				return fmt.Errorf("%w: bad base64 in binary packet: %v", ErrParse, err)
			}
			if data == nil {
				data = []byte{}
			}
			p = Packet{Type: PacketMessage, Data: data, Binary: true}
		} else {
			var err error
			if p, err = DecodePacket(part); err != nil {
				return err
			}
		}
		if err := fn(p); err != nil {
			return err
		}
		start = end + 1
	}
	return nil
}
