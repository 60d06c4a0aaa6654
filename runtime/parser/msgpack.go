package parser

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sync"

	"github.com/siogen/siogen/engineio"
	"github.com/vmihailenco/msgpack/v5"
)

// MessagePack is the codec compatible with npm socket.io-msgpack-parser 3.0.2
// (notepack.io 2.x): each packet is one MessagePack map in one binary frame,
// with the keys in the order the Node server writes them ("type", "data",
// "id", "nsp"; "id" first for an ACK). []byte values are native bin values;
// integers take the smallest form, other numbers float64 (a float64 with an
// integer value is written as an integer, as JavaScript does). Struct fields
// are named by their json tags. A value that writes itself as JSON
// ([JSONAppender]: the generated types), or a slice, array, map or pointer
// of such, is written in that JSON form, transcoded (members in order,
// attachments as bin): a schema's time is a string, a required list [],
// as with the JSON codec. (A [MsgpackAppender], as the generated types
// are, writes the same bytes itself, without the JSON text.) A decoded JSON
// value is transcoded the same way.
//
// The decoder accepts notepack's extension type 0: JS undefined (fixext 1,
// decoded as nil), Date (fixext 8, decoded as time.Time) and ArrayBuffer
// (ext 8/16/32, decoded as []byte).
var MessagePack Codec = msgpackCodec{}

type msgpackCodec struct{}

func (msgpackCodec) Name() string { return "msgpack" }

// mpWriter is an io.Writer / io.ByteWriter appending to a slice, for the
// msgpack encoder.
type mpWriter struct{ b []byte }

func (w *mpWriter) Write(p []byte) (int, error) { w.b = append(w.b, p...); return len(p), nil }
func (w *mpWriter) WriteByte(c byte) error      { w.b = append(w.b, c); return nil }

type mpEncoder struct {
	w      mpWriter
	enc    *msgpack.Encoder
	counts []ccount // scratch of transcode
	open   []mpOpen // JSONWriter: the containers open (mpwriter.go)
	werr   error    // JSONWriter: the first error
}

var mpEncPool = sync.Pool{New: func() any {
	e := &mpEncoder{w: mpWriter{b: make([]byte, 0, 256)}}
	e.enc = msgpack.NewEncoder(&e.w)
	return e
}}

// Encode implements Codec.
func (c msgpackCodec) Encode(p *Packet) ([]engineio.Frame, error) { return c.AppendEncode(nil, nil, p) }

// AppendEncode implements AppendEncoder.
func (msgpackCodec) AppendEncode(frames []engineio.Frame, buf []byte, p *Packet) ([]engineio.Frame, error) {
	t := p.Type.base()
	if !t.Valid() {
		return nil, fmt.Errorf("%w: packet type %d", ErrUnsupportedValue, p.Type)
	}
	hasData := false
	switch t {
	case Event, Ack:
		hasData = true
	case Connect, ConnectError:
		if len(p.Data) > 1 {
			return nil, fmt.Errorf("%w: %s with %d data elements", ErrUnsupportedValue, t, len(p.Data))
		}
		hasData = len(p.Data) == 1
	case Disconnect:
		if len(p.Data) > 0 {
			return nil, fmt.Errorf("%w: DISCONNECT with data", ErrUnsupportedValue)
		}
	}
	e := mpEncPool.Get().(*mpEncoder)
	defer func() {
		if cap(e.w.b) <= 64<<10 {
			mpEncPool.Put(e)
		}
	}()
	e.w.b = e.w.b[:0]
	e.enc.Reset(&e.w)
	e.enc.SetCustomStructTag("json")
	e.enc.UseCompactInts(true)
	e.enc.UseCompactFloats(true)
	e.enc.SetSortMapKeys(true)

	n := 2
	if hasData {
		n++
	}
	if p.HasID {
		n++
	}
	e.w.b = append(e.w.b, 0x80|byte(n))
	if t == Ack && p.HasID {
		e.w.b = mpAppendStr(e.w.b, "id")
		e.w.b = mpAppendUint(e.w.b, p.ID)
	}
	e.w.b = mpAppendStr(e.w.b, "type")
	e.w.b = append(e.w.b, byte(t))
	if hasData {
		e.w.b = mpAppendStr(e.w.b, "data")
		if t == Event || t == Ack {
			e.w.b = mpAppendArrayLen(e.w.b, len(p.Data))
			for i := range p.Data {
				if err := e.value(&p.Data[i]); err != nil {
					return nil, err
				}
			}
		} else if err := e.value(&p.Data[0]); err != nil {
			return nil, err
		}
	}
	if t != Ack && p.HasID {
		e.w.b = mpAppendStr(e.w.b, "id")
		e.w.b = mpAppendUint(e.w.b, p.ID)
	}
	e.w.b = mpAppendStr(e.w.b, "nsp")
	e.w.b = mpAppendStr(e.w.b, p.nsp())
	out := append(slices.Grow(buf, len(e.w.b)), e.w.b...)
	return append(frames, engineio.BinaryFrame(out[len(buf):])), nil
}

func (e *mpEncoder) value(v *Value) error {
	switch v.kind {
	case kindMsgpack:
		e.w.b = append(e.w.b, v.raw...)
		return nil
	case kindJSON:
		if err := e.transcode(v.raw, v.attachments()); err != nil {
			return fmt.Errorf("%w: %v", ErrUnsupportedValue, err)
		}
		return nil
	}
	return e.goValue(v.v)
}

// jsonForm writes x, a value that writes itself as JSON (the generated
// types) or a slice, array, map or pointer of such values, in its JSON form
// transcoded: the schema's form, the same on both codecs (a time is a
// string, a nil required list is []).
func (e *mpEncoder) jsonForm(x any) error {
	if a, ok := selfWriting(x); ok {
		return e.appendSelf(a)
	}
	return e.valueForm(x)
}

// valueForm writes the JSON form of any Go value x, transcoded: x written
// by the JSON codec, then transcoded.
func (e *mpEncoder) valueForm(x any) error {
	je := getJSONEncoder()
	defer putJSONEncoder(je)
	if err := je.goValue(x); err != nil {
		return err
	}
	if err := e.transcode(je.buf, je.bins); err != nil {
		return fmt.Errorf("%w: %T: %v", ErrUnsupportedValue, x, err)
	}
	return nil
}

// transcode appends the MessagePack of JSON text (see jsonToMsgpack).
func (e *mpEncoder) transcode(raw []byte, bins [][]byte) error {
	b, counts, err := jsonToMsgpackCounts(e.w.b, raw, bins, e.counts[:0])
	e.counts = counts
	if err != nil {
		return err
	}
	e.w.b = b
	return nil
}

var jsonFormTypes sync.Map // reflect.Type → bool

// hasJSONForm reports whether values of t are JSONAppenders, or slices,
// arrays, maps (with string keys) or pointers of them.
func hasJSONForm(t reflect.Type) bool {
	if v, ok := jsonFormTypes.Load(t); ok {
		return v.(bool)
	}
	var r bool
	for u := t; u != nil; {
		if u.Implements(appenderType) || u.Kind() != reflect.Pointer && u.Kind() != reflect.Interface && reflect.PointerTo(u).Implements(appenderType) {
			r = true
			break
		}
		switch u.Kind() {
		case reflect.Slice, reflect.Array, reflect.Pointer:
			u = u.Elem()
		case reflect.Map:
			if u.Key().Kind() != reflect.String {
				u = nil
			} else {
				u = u.Elem()
			}
		default:
			u = nil
		}
	}
	jsonFormTypes.Store(t, r)
	return r
}

func (e *mpEncoder) goValue(x any) error {
	switch t := x.(type) {
	case nil:
		e.w.b = append(e.w.b, 0xc0)
	case string:
		e.w.b = mpAppendStr(e.w.b, t)
	case bool:
		e.w.b = append(e.w.b, mpBool(t))
	case int:
		e.w.b = mpAppendInt(e.w.b, int64(t))
	case int64:
		e.w.b = mpAppendInt(e.w.b, t)
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<63 {
			e.w.b = mpAppendInt(e.w.b, int64(t))
		} else {
			e.w.b = mpAppendFloat64(e.w.b, t)
		}
	case []byte:
		if t == nil {
			e.w.b = append(e.w.b, 0xc0)
		} else {
			e.w.b = mpAppendBin(e.w.b, t)
		}
	case Value:
		return e.value(&t)
	case *Value:
		if t == nil {
			e.w.b = append(e.w.b, 0xc0)
			return nil
		}
		return e.value(t)
	default:
		if hasJSONForm(reflect.TypeOf(x)) {
			return e.jsonForm(x)
		}
		if err := e.enc.Encode(x); err != nil {
			return fmt.Errorf("%w: %v", ErrUnsupportedValue, err)
		}
	}
	return nil
}

// mpBool is the MessagePack of b.
func mpBool(b bool) byte {
	if b {
		return 0xc3
	}
	return 0xc2
}

// mpAppendFloat64 writes f as a MessagePack float 64.
func mpAppendFloat64(b []byte, f float64) []byte {
	b = append(b, 0xcb)
	return binary.BigEndian.AppendUint64(b, math.Float64bits(f))
}

func mpAppendStr[S string | []byte](b []byte, s S) []byte {
	n := len(s)
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n < 1<<8:
		b = append(b, 0xd9, byte(n))
	case n < 1<<16:
		b = append(b, 0xda, byte(n>>8), byte(n))
	default:
		b = append(b, 0xdb)
		b = binary.BigEndian.AppendUint32(b, uint32(n))
	}
	return append(b, s...)
}

func mpAppendBin(b []byte, s []byte) []byte {
	n := len(s)
	switch {
	case n < 1<<8:
		b = append(b, 0xc4, byte(n))
	case n < 1<<16:
		b = append(b, 0xc5, byte(n>>8), byte(n))
	default:
		b = append(b, 0xc6)
		b = binary.BigEndian.AppendUint32(b, uint32(n))
	}
	return append(b, s...)
}

func mpAppendArrayLen(b []byte, n int) []byte { return mpAppendLen(b, n, 0x90, 0xdc) }

func mpAppendMapLen(b []byte, n int) []byte { return mpAppendLen(b, n, 0x80, 0xde) }

// mpAppendLen writes the header of an array or a map of n elements: fix|n,
// or the 16-bit code c16 and n, or the 32-bit code (c16+1) and n.
func mpAppendLen(b []byte, n int, fix, c16 byte) []byte {
	switch {
	case n < 16:
		return append(b, fix|byte(n))
	case n < 1<<16:
		return append(b, c16, byte(n>>8), byte(n))
	}
	b = append(b, c16+1)
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

func mpAppendUint(b []byte, n uint64) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 1<<8:
		return append(b, 0xcc, byte(n))
	case n < 1<<16:
		return append(b, 0xcd, byte(n>>8), byte(n))
	case n < 1<<32:
		b = append(b, 0xce)
		return binary.BigEndian.AppendUint32(b, uint32(n))
	}
	b = append(b, 0xcf)
	return binary.BigEndian.AppendUint64(b, n)
}

func mpAppendInt(b []byte, n int64) []byte {
	switch {
	case n >= 0:
		return mpAppendUint(b, uint64(n))
	case n >= -32:
		return append(b, byte(n))
	case n >= math.MinInt8:
		return append(b, 0xd0, byte(n))
	case n >= math.MinInt16:
		return append(b, 0xd1, byte(n>>8), byte(n))
	case n >= math.MinInt32:
		b = append(b, 0xd2)
		return binary.BigEndian.AppendUint32(b, uint32(n))
	}
	b = append(b, 0xd3)
	return binary.BigEndian.AppendUint64(b, uint64(n))
}

// NewDecoder implements Codec. The options are ignored: MessagePack packets
// have no attachments.
func (msgpackCodec) NewDecoder(DecoderOptions) Decoder { return mpDecoderState{} }

type mpDecoderState struct{}

func (mpDecoderState) Reset() {}

func (mpDecoderState) Add(data []byte, binary bool) (*Packet, error) {
	if !binary {
		return nil, fmt.Errorf("%w: text message with the msgpack parser", ErrUnexpectedText)
	}
	return decodeMsgpackPacket(data)
}

var errMsgpack = errors.New("invalid msgpack")

// mpHeader reads the header of the value at b[i]: its code, the number of
// nested values that follow (array elements, or 2 per map entry), and the
// length of its payload bytes.
func mpHeader(b []byte, i int) (code byte, hdr int, nested uint64, size uint64, err error) {
	if i >= len(b) {
		return 0, 0, 0, 0, errMsgpack
	}
	c := b[i]
	need := func(n int) bool { return len(b)-i-1 >= n }
	be := func(n int) uint64 { return beUint(b[i+1 : i+1+n]) }
	switch {
	case c <= 0x7f || c >= 0xe0:
		return c, 1, 0, 0, nil
	case c <= 0x8f:
		return c, 1, 2 * uint64(c&0x0f), 0, nil
	case c <= 0x9f:
		return c, 1, uint64(c & 0x0f), 0, nil
	case c <= 0xbf:
		return c, 1, 0, uint64(c & 0x1f), nil
	}
	switch c {
	case 0xc0, 0xc2, 0xc3:
		return c, 1, 0, 0, nil
	case 0xc4, 0xd9: // bin8, str8
		if !need(1) {
			break
		}
		return c, 2, 0, be(1), nil
	case 0xc5, 0xda:
		if !need(2) {
			break
		}
		return c, 3, 0, be(2), nil
	case 0xc6, 0xdb:
		if !need(4) {
			break
		}
		return c, 5, 0, be(4), nil
	case 0xc7: // ext 8: len, type
		if !need(2) {
			break
		}
		return c, 3, 0, be(1), nil
	case 0xc8:
		if !need(3) {
			break
		}
		return c, 4, 0, be(2), nil
	case 0xc9:
		if !need(5) {
			break
		}
		return c, 6, 0, be(4), nil
	case 0xca:
		return c, 1, 0, 4, nil
	case 0xcb:
		return c, 1, 0, 8, nil
	case 0xcc, 0xd0:
		return c, 1, 0, 1, nil
	case 0xcd, 0xd1:
		return c, 1, 0, 2, nil
	case 0xce, 0xd2:
		return c, 1, 0, 4, nil
	case 0xcf, 0xd3:
		return c, 1, 0, 8, nil
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1..16, after the type byte
		return c, 2, 0, 1 << (c - 0xd4), nil
	case 0xdc:
		if !need(2) {
			break
		}
		return c, 3, be(2), 0, nil
	case 0xdd:
		if !need(4) {
			break
		}
		return c, 5, be(4), 0, nil
	case 0xde:
		if !need(2) {
			break
		}
		return c, 3, 2 * be(2), 0, nil
	case 0xdf:
		if !need(4) {
			break
		}
		return c, 5, 2 * be(4), 0, nil
	}
	return 0, 0, 0, 0, errMsgpack
}

func isExt(c byte) bool { return c >= 0xc7 && c <= 0xc9 || c >= 0xd4 && c <= 0xd8 }

// mpSkip validates the value at b[i] and returns the index after it and
// whether it contains an extension value.
func mpSkip(b []byte, i, depth int) (end int, ext bool, err error) {
	c, hdr, nested, size, err := mpHeader(b, i)
	if err != nil {
		return 0, false, err
	}
	rest := uint64(len(b) - i)
	if uint64(hdr)+size > rest || uint64(hdr) > rest {
		return 0, false, errMsgpack
	}
	i += hdr + int(size)
	ext = isExt(c)
	if nested == 0 {
		return i, ext, nil
	}
	if depth >= maxDepth || nested > uint64(len(b)-i) {
		return 0, false, errMsgpack
	}
	for k := uint64(0); k < nested; k++ {
		var e bool
		if i, e, err = mpSkip(b, i, depth+1); err != nil {
			return 0, false, err
		}
		ext = ext || e
	}
	return i, ext, nil
}

// mpString returns the bytes of a str value that is exactly b.
func mpString(b []byte) ([]byte, bool) {
	c, hdr, _, size, err := mpHeader(b, 0)
	if err != nil || !(c >= 0xa0 && c <= 0xbf || c >= 0xd9 && c <= 0xdb) || uint64(len(b)-hdr) != size {
		return nil, false
	}
	return b[hdr:], true
}

func isUndefined(b []byte) bool { return len(b) == 3 && b[0] == 0xd4 && b[1] == 0 }

// mpInteger decodes an integer value, or a float64/float32 with an integer
// value (JavaScript's Number.isInteger).
func mpInteger(b []byte) (n int64, u uint64, unsigned bool, ok bool) {
	if len(b) == 0 {
		return 0, 0, false, false
	}
	c := b[0]
	switch {
	case c <= 0x7f:
		return int64(c), 0, false, true
	case c >= 0xe0:
		return int64(int8(c)), 0, false, true
	}
	be := func() uint64 { return beUint(b[1:]) }
	switch c {
	case 0xcc, 0xcd, 0xce, 0xcf:
		v := be()
		if v > math.MaxInt64 {
			return 0, v, true, true
		}
		return int64(v), 0, false, true
	case 0xd0:
		return int64(int8(be())), 0, false, true
	case 0xd1:
		return int64(int16(be())), 0, false, true
	case 0xd2:
		return int64(int32(be())), 0, false, true
	case 0xd3:
		return int64(be()), 0, false, true
	case 0xca, 0xcb:
		var f float64
		if c == 0xca {
			f = float64(math.Float32frombits(uint32(be())))
		} else {
			f = math.Float64frombits(be())
		}
		if f != math.Trunc(f) || math.IsInf(f, 0) {
			return 0, 0, false, false
		}
		if f >= 0 && f < 1<<64 {
			if f < 1<<63 {
				return int64(f), 0, false, true
			}
			return 0, uint64(f), true, true
		}
		if f < 0 && f >= -1<<63 {
			return int64(f), 0, false, true
		}
	}
	return 0, 0, false, false
}

func mpIsMap(b []byte) bool {
	return len(b) > 0 && (b[0]&0xf0 == 0x80 || b[0] == 0xde || b[0] == 0xdf)
}

func mpIsArray(b []byte) bool {
	return len(b) > 0 && (b[0]&0xf0 == 0x90 || b[0] == 0xdc || b[0] == 0xdd)
}

// isNumber reports whether v (decoded from the wire) is a number.
func isNumber(v Value) bool {
	if len(v.raw) == 0 {
		return false
	}
	c := v.raw[0]
	switch v.kind {
	case kindJSON:
		return c == '-' || isDigit(c)
	case kindMsgpack:
		return c <= 0x7f || c >= 0xe0 || c >= 0xca && c <= 0xd3
	}
	return false
}

func decodeMsgpackPacket(b []byte) (*Packet, error) {
	c, hdr, nested, _, err := mpHeader(b, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPayload, err)
	}
	if !(c&0xf0 == 0x80 || c == 0xde || c == 0xdf) {
		return nil, fmt.Errorf("%w: not a map", ErrInvalidType)
	}
	var typ, nsp, data, id []byte
	i := hdr
	if nested > uint64(len(b)) {
		return nil, fmt.Errorf("%w: %v", ErrInvalidPayload, errMsgpack)
	}
	for k := uint64(0); k < nested/2; k++ {
		kend, _, err := mpSkip(b, i, 1)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidPayload, err)
		}
		key, isStr := mpString(b[i:kend])
		vend, _, err := mpSkip(b, kend, 1)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalidPayload, err)
		}
		val := b[kend:vend]
		i = vend
		if !isStr {
			continue
		}
		switch string(key) {
		case "type":
			typ = val
		case "nsp":
			nsp = val
		case "data":
			data = val
		case "id":
			id = val
		}
	}
	if i != len(b) {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrInvalidPayload, len(b)-i)
	}
	tn, _, unsigned, ok := mpInteger(typ)
	if !ok || unsigned || tn < int64(Connect) || tn > int64(ConnectError) {
		return nil, ErrInvalidType
	}
	s, ok := mpString(nsp)
	if !ok {
		return nil, ErrInvalidNamespace
	}
	p, room := allocPacket(Type(tn), "/")
	if len(s) != 1 || s[0] != '/' {
		p.Namespace = string(s)
	}
	if isUndefined(data) {
		data = nil
	}
	switch p.Type {
	case Connect:
		if data != nil && !mpIsMap(data) {
			return nil, fmt.Errorf("%w: CONNECT data must be a map", ErrInvalidPayload)
		}
	case Disconnect:
		if data != nil {
			return nil, fmt.Errorf("%w: DISCONNECT with data", ErrInvalidPayload)
		}
	case ConnectError:
		if _, isStr := mpString(data); !isStr && !mpIsMap(data) {
			return nil, fmt.Errorf("%w: CONNECT_ERROR data must be a string or a map", ErrInvalidPayload)
		}
	default:
		if !mpIsArray(data) {
			return nil, fmt.Errorf("%w: %s data must be an array", ErrInvalidPayload, p.Type)
		}
	}
	if id != nil && !isUndefined(id) {
		n, u, unsigned, ok := mpInteger(id)
		switch {
		case !ok || (!unsigned && n < 0):
			return nil, ErrInvalidID
		case unsigned:
			p.ID = u
		default:
			p.ID = uint64(n)
		}
		p.HasID = true
	}
	if data == nil {
		return p, nil
	}
	if p.Type != Event && p.Type != Ack {
		_, ext, _ := mpSkip(data, 0, 1)
		v := Value{kind: kindMsgpack, raw: data}
		if ext {
			v.flags = flagExt
		}
		p.Data = append(room, v)
		return p, nil
	}
	_, hdr, n, _, _ := mpHeader(data, 0)
	p.Data = roomFor(room, int(n)) // n ≤ len(data): validated
	i = hdr
	for k := uint64(0); k < n; k++ {
		end, ext, err := mpSkip(data, i, 1)
		if err != nil { // already validated
			return nil, fmt.Errorf("%w: %v", ErrInvalidPayload, err)
		}
		v := Value{kind: kindMsgpack, raw: data[i:end]}
		if ext {
			v.flags = flagExt
		} else if 2*(end-i) >= len(b) {
			v.flags = flagShared
		}
		p.Data = append(p.Data, v)
		i = end
	}
	if p.Type == Event {
		if len(p.Data) == 0 {
			return nil, fmt.Errorf("%w: EVENT without a name", ErrInvalidPayload)
		}
		if err := checkEventName(p.Data[0]); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// mpNormalize copies the valid MessagePack value src to dst, rewriting
// notepack's extension type 0: undefined becomes nil, Date becomes a
// msgpack timestamp, ArrayBuffer becomes bin.
func mpNormalize(dst, src []byte) []byte {
	out, _ := mpNorm(dst, src, 0)
	return out
}

func mpNorm(dst, b []byte, i int) ([]byte, int) {
	c, hdr, nested, size, err := mpHeader(b, i)
	if err != nil || uint64(len(b)-i) < uint64(hdr)+size {
		return dst, len(b)
	}
	end := i + hdr + int(size)
	switch {
	case c == 0xd4 && b[i+1] == 0: // undefined
		return append(dst, 0xc0), end
	case c == 0xd7 && b[i+1] == 0: // Date: int64 milliseconds
		ms := int64(binary.BigEndian.Uint64(b[i+2 : end]))
		sec, nsec := ms/1000, (ms%1000)*1e6
		if nsec < 0 {
			sec, nsec = sec-1, nsec+1e9
		}
		dst = append(dst, 0xc7, 12, 0xff)
		dst = binary.BigEndian.AppendUint32(dst, uint32(nsec))
		return binary.BigEndian.AppendUint64(dst, uint64(sec)), end
	case c >= 0xc7 && c <= 0xc9 && b[i+hdr-1] == 0: // ArrayBuffer
		return mpAppendBin(dst, b[i+hdr:end]), end
	}
	dst = append(dst, b[i:end]...)
	for k := uint64(0); k < nested; k++ {
		dst, end = mpNorm(dst, b, end)
	}
	return dst, end
}

// ErrMsgpackTooDeep is the error of [CheckMsgpackNesting] for values
// nested deeper than its limit.
var ErrMsgpackTooDeep = errors.New("MessagePack nested too deep")

// CheckMsgpackNesting reads the MessagePack values of b without recursion
// and fails when b is not a sequence of whole values, or when their arrays
// and maps nest more than limit levels deep (ErrMsgpackTooDeep). A
// recursive decoder (vmihailenco/msgpack's) can then decode b without
// overflowing its stack.
func CheckMsgpackNesting(b []byte, limit int) error {
	var open []uint64 // elements still to read in each enclosing array or map
	for i := 0; i < len(b); {
		_, hdr, nested, size, err := mpHeader(b, i)
		if err != nil {
			return err
		}
		if rest := uint64(len(b) - i - hdr); hdr > len(b)-i || size > rest || nested > rest-size {
			return errMsgpack // truncated
		}
		i += hdr + int(size)
		if nested > 0 {
			if len(open) >= limit {
				return ErrMsgpackTooDeep
			}
			open = append(open, nested)
			continue
		}
		// A whole value was read: it completes the enclosing containers
		// it was the last element of.
		for len(open) > 0 {
			if open[len(open)-1]--; open[len(open)-1] > 0 {
				break
			}
			open = open[:len(open)-1]
		}
	}
	if len(open) > 0 {
		return errMsgpack // truncated
	}
	return nil
}
