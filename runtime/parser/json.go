package parser

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/siogen/siogen/engineio"
)

// JSON is the default codec, compatible with npm socket.io-parser 4.2.x:
// packets are text frames ("42[\"foo\"]"), and []byte arguments travel as
// binary attachments after a BINARY_EVENT / BINARY_ACK packet whose JSON
// holds {"_placeholder":true,"num":N} in their place.
//
// Go values without []byte are written by encoding/json (with HTML escaping
// off, so that the text matches JSON.stringify); values with []byte are
// walked by the codec with the same struct tag rules.
var JSON Codec = jsonCodec{}

type jsonCodec struct{}

func (jsonCodec) Name() string { return "json" }

var jsonEncPool = sync.Pool{New: func() any { return &jsonEncoder{buf: make([]byte, 0, 256)} }}

// getJSONEncoder takes an empty encoder from the pool; putJSONEncoder gives
// it back (unless it grew large).
func getJSONEncoder() *jsonEncoder {
	e := jsonEncPool.Get().(*jsonEncoder)
	e.buf, e.bins, e.first, e.err = e.buf[:0], e.bins[:0], e.first[:0], nil
	return e
}

func putJSONEncoder(e *jsonEncoder) {
	e.release()
	clear(e.bins)
	if cap(e.buf) <= 64<<10 {
		jsonEncPool.Put(e)
	}
}

// Encode implements Codec.
func (c jsonCodec) Encode(p *Packet) ([]engineio.Frame, error) { return c.AppendEncode(nil, nil, p) }

// AppendEncode implements AppendEncoder.
func (jsonCodec) AppendEncode(frames []engineio.Frame, buf []byte, p *Packet) ([]engineio.Frame, error) {
	t := p.Type.base()
	if !t.Valid() {
		return nil, fmt.Errorf("%w: packet type %d", ErrUnsupportedValue, p.Type)
	}
	e := getJSONEncoder()
	defer putJSONEncoder(e)

	switch t {
	case Event, Ack:
		e.buf = append(e.buf, '[')
		for i := range p.Data {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.value(&p.Data[i]); err != nil {
				return nil, err
			}
		}
		e.buf = append(e.buf, ']')
	case Connect, ConnectError:
		if len(p.Data) > 1 {
			return nil, fmt.Errorf("%w: %s with %d data elements", ErrUnsupportedValue, t, len(p.Data))
		}
		if len(p.Data) == 1 {
			if err := e.value(&p.Data[0]); err != nil {
				return nil, err
			}
		}
		if len(e.bins) > 0 {
			return nil, fmt.Errorf("%w: binary data in a %s packet", ErrUnsupportedValue, t)
		}
	case Disconnect:
		if len(p.Data) > 0 {
			return nil, fmt.Errorf("%w: DISCONNECT with data", ErrUnsupportedValue)
		}
	}

	nb := len(e.bins)
	wire := t
	if nb > 0 {
		wire += BinaryEvent - Event // Event->BinaryEvent, Ack->BinaryAck
	}
	nsp := p.nsp()
	size := 2 + len(e.buf)
	if nb > 0 {
		size += 4
	}
	if nsp != "/" {
		size += len(nsp) + 1
	}
	if p.HasID {
		size += 20
	}
	out := slices.Grow(buf, size)
	out = append(out, byte(engineio.PacketMessage), '0'+byte(wire))
	if nb > 0 {
		out = strconv.AppendInt(out, int64(nb), 10)
		out = append(out, '-')
	}
	if nsp != "/" {
		out = append(out, nsp...)
		out = append(out, ',')
	}
	if p.HasID {
		out = strconv.AppendUint(out, p.ID, 10)
	}
	out = append(out, e.buf...)
	frames = slices.Grow(frames, 1+nb)
	frames = append(frames, engineio.Frame{Data: out[len(buf):]})
	for _, b := range e.bins {
		frames = append(frames, engineio.BinaryFrame(b))
	}
	return frames, nil
}

// NewDecoder implements Codec.
func (jsonCodec) NewDecoder(opts DecoderOptions) Decoder {
	max := opts.MaxAttachments
	if max <= 0 {
		max = DefaultMaxAttachments
	}
	return &jsonDecoder{max: max}
}

type jsonDecoder struct {
	max     int
	pending *Packet // a binary packet waiting for its attachments
	need    int
	bins    [][]byte
}

func (d *jsonDecoder) Reset() {
	d.pending, d.need, d.bins = nil, 0, nil
}

func (d *jsonDecoder) Add(data []byte, binary bool) (*Packet, error) {
	if binary {
		if d.pending == nil {
			return nil, ErrUnexpectedBinary
		}
		d.bins = append(d.bins, data)
		if len(d.bins) < d.need {
			return nil, nil
		}
		p := d.pending
		bins := binsRef(d.bins)
		for i := range p.Data {
			if p.Data[i].flags&flagPlaceholders != 0 {
				p.Data[i].bins = bins
			}
		}
		d.Reset()
		return p, nil
	}
	if d.pending != nil {
		d.Reset()
		return nil, ErrUnexpectedText
	}
	p, n, err := decodeJSONText(data, d.max)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return p, nil
	}
	d.pending, d.need, d.bins = p, n, make([][]byte, 0, n)
	return nil, nil
}

// decodeJSONText decodes the text of a packet and returns the number of
// attachments that must follow.
func decodeJSONText(data []byte, maxAtt int) (*Packet, int, error) {
	if len(data) == 0 {
		return nil, 0, fmt.Errorf("%w: empty packet", ErrInvalidType)
	}
	c := data[0]
	if c < '0' || c > '6' {
		return nil, 0, fmt.Errorf("%w: %q", ErrInvalidType, c)
	}
	t := Type(c - '0')
	i := 1
	n := 0
	if t == BinaryEvent || t == BinaryAck {
		j := i
		for j < len(data) && isDigit(data[j]) {
			j++
		}
		if j == i || j >= len(data) || data[j] != '-' {
			return nil, 0, fmt.Errorf("%w: bad attachment count", ErrInvalidAttachments)
		}
		for _, d := range data[i:j] {
			n = n*10 + int(d-'0')
			if n > maxAtt {
				return nil, 0, fmt.Errorf("%w: more than %d", ErrTooManyAttachments, maxAtt)
			}
		}
		if n < 1 {
			return nil, 0, fmt.Errorf("%w: %d attachments", ErrInvalidAttachments, n)
		}
		i = j + 1
	}
	p, room := allocPacket(t.base(), "/")
	if i < len(data) && data[i] == '/' {
		j := bytes.IndexByte(data[i:], ',')
		if j < 0 {
			p.Namespace = string(data[i:])
			i = len(data)
		} else {
			p.Namespace = string(data[i : i+j])
			i += j + 1
		}
	}
	if i < len(data) && isDigit(data[i]) {
		j := i
		for j < len(data) && isDigit(data[j]) {
			j++
		}
		id, err := strconv.ParseUint(string(data[i:j]), 10, 64)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %s", ErrInvalidID, data[i:j])
		}
		p.ID, p.HasID = id, true
		i = j
	}
	if err := decodeJSONPayload(p, data[i:], n, room); err != nil {
		return nil, 0, err
	}
	return p, n, nil
}

// decodeJSONPayload sets p.Data from payload, appending to room (see
// allocPacket).
func decodeJSONPayload(p *Packet, payload []byte, nAtt int, room []Value) error {
	t := p.Type
	if len(payload) == 0 {
		switch {
		case nAtt > 0:
			return fmt.Errorf("%w: binary packet without data", ErrInvalidPayload)
		case t == Connect, t == Disconnect, t == Ack:
			return nil
		}
		return fmt.Errorf("%w: %s without data", ErrInvalidPayload, t)
	}
	if t == Disconnect {
		return fmt.Errorf("%w: DISCONNECT with data", ErrInvalidPayload)
	}
	s := jscan{b: payload, ph: nAtt > 0}
	i := s.skipWS(0)
	if i >= len(payload) {
		return fmt.Errorf("%w: %v", ErrInvalidPayload, errSyntax)
	}
	first := payload[i]
	switch t {
	case Connect, ConnectError:
		if first != '{' && (t == Connect || first != '"') {
			return fmt.Errorf("%w: %s data must be an object", ErrInvalidPayload, t)
		}
		s.ws = false
		end, err := s.value(i)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidPayload, err)
		}
		raw := payload[i:end]
		if s.ws {
			raw = compactJSON(raw)
		}
		if s.skipWS(end) != len(payload) {
			return fmt.Errorf("%w: %v", ErrInvalidPayload, errSyntax)
		}
		p.Data = append(room, Value{kind: kindJSON, raw: raw})
		return nil
	}
	// Event, Ack: an array.
	if first != '[' {
		return fmt.Errorf("%w: %s data must be an array", ErrInvalidPayload, t)
	}
	s.depth = 1
	i = s.skipWS(i + 1)
	data := room
	if i < len(payload) && payload[i] == ']' {
		i++
	} else {
		for {
			mark := len(s.spans)
			s.ws = false
			var end int
			var err error
			shared := false
			if i < len(payload) && payload[i] == '"' {
				var esc bool
				end, esc, err = s.str(i)
				shared = !esc && 2*(end-i) >= len(payload)
			} else {
				end, err = s.value(i)
			}
			if err != nil {
				return fmt.Errorf("%w: %v", ErrInvalidPayload, err)
			}
			v := Value{kind: kindJSON, raw: payload[i:end]}
			if shared {
				v.flags = flagShared
			}
			if s.ws {
				v.raw = compactJSON(v.raw)
			}
			if len(s.spans) > mark {
				for _, sp := range s.spans[mark:] {
					if sp.num < 0 || sp.num >= nAtt {
						return fmt.Errorf("%w: placeholder num out of range", ErrInvalidAttachments)
					}
				}
				v.flags = flagPlaceholders
			}
			data = append(data, v)
			i = s.skipWS(end)
			if i >= len(payload) {
				return fmt.Errorf("%w: %v", ErrInvalidPayload, errSyntax)
			}
			if payload[i] == ']' {
				i++
				break
			}
			if payload[i] != ',' {
				return fmt.Errorf("%w: %v", ErrInvalidPayload, errSyntax)
			}
			i = s.skipWS(i + 1)
		}
	}
	if s.skipWS(i) != len(payload) {
		return fmt.Errorf("%w: %v", ErrInvalidPayload, errSyntax)
	}
	if t == Event {
		if len(data) == 0 {
			return fmt.Errorf("%w: EVENT without a name", ErrInvalidPayload)
		}
		if err := checkEventName(data[0]); err != nil {
			return err
		}
	}
	p.Data = data
	return nil
}

// checkEventName accepts a number or a string that is not reserved.
func checkEventName(v Value) error {
	b, ok := v.plainString() // the usual case: nothing to allocate
	if !ok {
		var name string
		name, ok = v.AsString() // escapes to decode
		b = []byte(name)
	}
	if ok {
		if reservedEvent(string(b)) {
			return fmt.Errorf("%w: reserved event name %q", ErrInvalidPayload, b)
		}
		return nil
	}
	if isNumber(v) {
		return nil
	}
	return fmt.Errorf("%w: event name must be a string or a number", ErrInvalidPayload)
}
