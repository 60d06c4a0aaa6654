package parser

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// The JSON form of a value: what the JSON codec would carry for it, binary
// data as attachment placeholders. Types that write themselves
// ([JSONAppender], as siogen's generated types do) are defined by the JSON
// they write, so the MessagePack codec carries that form (transcoded), and
// the typed layer decodes MessagePack values through it: a schema's time is
// an RFC 3339 string and a required list is [] on both codecs.

var errTranscode = errors.New("parser: value has no JSON form")

// AsJSON returns v in its JSON form: a JSON value unchanged, a MessagePack
// value transcoded (nil and JavaScript's undefined as null, bin as binary
// attachments, notepack's Date and MessagePack timestamps as RFC 3339
// strings; NaN, infinities, maps with keys that are not strings or with a
// "_placeholder" member that is true, and more than 1000 binary values have no JSON form
// and are an error), a Go value encoded as the JSON codec does.
func (v Value) AsJSON() (Value, error) {
	switch v.kind {
	case kindJSON:
		return v, nil
	case kindMsgpack:
		t := mpTranscoder{b: v.raw}
		out, end, err := t.value(make([]byte, 0, len(v.raw)+len(v.raw)/2), 0, 0)
		if err == nil && end != len(v.raw) {
			err = errTranscode
		}
		if err != nil {
			return Value{}, fmt.Errorf("%w: %v", ErrUnsupportedValue, err)
		}
		j := Value{kind: kindJSON, raw: out, bins: binsRef(t.bins)}
		if len(t.bins) > 0 {
			j.flags = flagPlaceholders
		}
		return j, nil
	}
	if v.v == nil {
		return Value{kind: kindJSON, raw: []byte("null")}, nil
	}
	return goJSON(v.v)
}

// mpTranscoder writes MessagePack values as JSON text.
type mpTranscoder struct {
	b    []byte
	bins [][]byte
}

// value appends the JSON of the MessagePack value at b[i] to dst and
// returns the index after it. A map whose "_placeholder" member is true has
// no JSON form (it would stand for an attachment), nor has a value with more
// than maxJSONFormBins binary values.
func (t *mpTranscoder) value(dst []byte, i, depth int) ([]byte, int, error) {
	c, hdr, nested, size, err := mpHeader(t.b, i)
	if err != nil || uint64(len(t.b)-i) < uint64(hdr)+size || depth > maxDepth {
		return nil, 0, errMsgpack
	}
	body := t.b[i+hdr : i+hdr+int(size)]
	end := i + hdr + int(size)
	switch {
	case c <= 0x7f:
		return strconv.AppendInt(dst, int64(c), 10), end, nil
	case c >= 0xe0:
		return strconv.AppendInt(dst, int64(int8(c)), 10), end, nil
	case c <= 0x8f || c == 0xde || c == 0xdf: // map
		dst = append(dst, '{')
		for k := uint64(0); k < nested/2; k++ {
			if k > 0 {
				dst = append(dst, ',')
			}
			kend, _, err := mpSkip(t.b, end, depth+1)
			if err != nil {
				return nil, 0, err
			}
			key, ok := mpString(t.b[end:kend])
			if !ok {
				return nil, 0, errors.New("a map key is not a string")
			}
			if string(key) == "_placeholder" && kend < len(t.b) && t.b[kend] == 0xc3 {
				// In JSON, {"_placeholder":true,…} stands for an attachment.
				return nil, 0, errors.New("a map with a _placeholder member")
			}
			dst = appendJSONStringBytes(dst, key)
			dst = append(dst, ':')
			if dst, end, err = t.value(dst, kend, depth+1); err != nil {
				return nil, 0, err
			}
		}
		return append(dst, '}'), end, nil
	case c <= 0x9f || c == 0xdc || c == 0xdd: // array
		dst = append(dst, '[')
		for k := uint64(0); k < nested; k++ {
			if k > 0 {
				dst = append(dst, ',')
			}
			if dst, end, err = t.value(dst, end, depth+1); err != nil {
				return nil, 0, err
			}
		}
		return append(dst, ']'), end, nil
	case c <= 0xbf || c >= 0xd9 && c <= 0xdb: // str
		return appendJSONStringBytes(dst, body), end, nil
	}
	switch c {
	case 0xc0:
		return append(dst, "null"...), end, nil
	case 0xc2:
		return append(dst, "false"...), end, nil
	case 0xc3:
		return append(dst, "true"...), end, nil
	case 0xc4, 0xc5, 0xc6: // bin
		dst, err := t.placeholder(dst, body)
		return dst, end, err
	case 0xca, 0xcb:
		f := float64(math.Float32frombits(uint32(beUint(body))))
		bits := 32
		if c == 0xcb {
			f, bits = math.Float64frombits(beUint(body)), 64
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, 0, errors.New("NaN or an infinity")
		}
		return appendJSONFloat(dst, f, bits), end, nil
	case 0xcc, 0xcd, 0xce, 0xcf:
		return strconv.AppendUint(dst, beUint(body), 10), end, nil
	case 0xd0:
		return strconv.AppendInt(dst, int64(int8(beUint(body))), 10), end, nil
	case 0xd1:
		return strconv.AppendInt(dst, int64(int16(beUint(body))), 10), end, nil
	case 0xd2:
		return strconv.AppendInt(dst, int64(int32(beUint(body))), 10), end, nil
	case 0xd3:
		return strconv.AppendInt(dst, int64(beUint(body)), 10), end, nil
	}
	// Extensions: the type byte is the last of the header.
	typ := int8(t.b[i+hdr-1])
	switch {
	case typ == 0 && c == 0xd4: // notepack's undefined
		return append(dst, "null"...), end, nil
	case typ == 0 && c == 0xd7: // notepack's Date: int64 milliseconds
		return appendTime(dst, time.UnixMilli(int64(beUint(body)))), end, nil
	case typ == 0 && c >= 0xc7 && c <= 0xc9: // notepack's ArrayBuffer
		dst, err := t.placeholder(dst, body)
		return dst, end, err
	case typ == -1: // a MessagePack timestamp
		switch len(body) {
		case 4:
			return appendTime(dst, time.Unix(int64(beUint(body)), 0)), end, nil
		case 8:
			v := beUint(body)
			return appendTime(dst, time.Unix(int64(v&(1<<34-1)), int64(v>>34))), end, nil
		case 12:
			return appendTime(dst, time.Unix(int64(beUint(body[4:])), int64(beUint(body[:4])))), end, nil
		}
	}
	return nil, 0, fmt.Errorf("extension type %d", typ)
}

// maxJSONFormBins bounds the binary values of a MessagePack value given a
// JSON form: each becomes an attachment, which costs far more than its
// bytes (the JSON codec's decoder accepts 10 attachments per packet by
// default).
const maxJSONFormBins = 1000

func (t *mpTranscoder) placeholder(dst, b []byte) ([]byte, error) {
	if len(t.bins) == maxJSONFormBins {
		return nil, fmt.Errorf("more than %d binary values", maxJSONFormBins)
	}
	dst = append(dst, `{"_placeholder":true,"num":`...)
	dst = strconv.AppendInt(dst, int64(len(t.bins)), 10)
	t.bins = append(t.bins, b)
	return append(dst, '}'), nil
}

// beUint reads a big-endian unsigned integer of up to 8 bytes.
func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// appendTime writes t as the JSON codec writes a time.Time.
func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

// appendJSONStringBytes is appendJSONString of a []byte; invalid UTF-8 is
// replaced by U+FFFD, as encoding/json does.
func appendJSONStringBytes(dst, s []byte) []byte {
	if utf8.Valid(s) && !hasJSONEscape(s) {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	return appendJSONString(dst, string(s))
}

// ---- JSON to MessagePack ----

// jsonToMsgpack appends the MessagePack of raw, valid JSON text whose
// placeholders refer to bins, to dst: objects as maps (members in order),
// placeholders as bin, integers in their smallest form, other numbers as
// float64 (or as integers when integral, as JavaScript numbers are
// written).
func jsonToMsgpack(dst, raw []byte, bins [][]byte) ([]byte, error) {
	dst, _, err := jsonToMsgpackCounts(dst, raw, bins, nil)
	return dst, err
}

// jsonToMsgpackCounts is jsonToMsgpack with a scratch slice for the
// containers' counts, which it returns (to be reused).
func jsonToMsgpackCounts(dst, raw []byte, bins [][]byte, counts []ccount) ([]byte, []ccount, error) {
	t := jsonTranscoder{jscan: jscan{b: raw}, bins: bins, counts: containerCounts(counts, raw)}
	if len(bins) > 0 {
		spans, err := placeholderSpans(raw)
		if err != nil {
			return nil, t.counts, err
		}
		t.spans = spans
	}
	dst, end, err := t.value(dst, t.skipWS(0))
	if err == nil && t.skipWS(end) != len(raw) {
		err = errSyntax
	}
	return dst, t.counts, err
}

type jsonTranscoder struct {
	jscan
	bins   [][]byte
	spans  []span   // the placeholders, in order
	next   int      // the next placeholder
	counts []ccount // the member counts of the objects and arrays, in order
	nextC  int      // the next count
}

// A ccount is the number of members or elements n of the object or array
// starting at b[start].
type ccount struct{ start, n int }

// containerCounts appends to counts the members of every object and array
// of JSON text, in one pass (MessagePack writes the count first; counting
// each container when it is met would read nested ones again and again).
func containerCounts(counts []ccount, b []byte) []ccount {
	var stack [16]int
	open := stack[:0] // indexes in counts
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '[', '{':
			c := ccount{start: i}
			j := i + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
				j++
			}
			if j < len(b) && b[j] != ']' && b[j] != '}' {
				c.n = 1
			}
			open = append(open, len(counts))
			counts = append(counts, c)
		case ']', '}':
			if len(open) == 0 {
				return counts // invalid: the transcoder says so
			}
			open = open[:len(open)-1]
		case ',':
			if len(open) > 0 {
				counts[open[len(open)-1]].n++
			}
		}
	}
	return counts
}

// count returns the count of the container starting at b[i].
func (t *jsonTranscoder) count(i int) (int, bool) {
	for t.nextC < len(t.counts) && t.counts[t.nextC].start < i {
		t.nextC++ // inside a placeholder
	}
	if t.nextC == len(t.counts) || t.counts[t.nextC].start != i {
		return 0, false
	}
	t.nextC++
	return t.counts[t.nextC-1].n, true
}

func (t *jsonTranscoder) value(dst []byte, i int) ([]byte, int, error) {
	if i >= len(t.b) {
		return nil, 0, errSyntax
	}
	switch c := t.b[i]; c {
	case '{':
		if t.next < len(t.spans) && t.spans[t.next].start == i {
			sp := t.spans[t.next]
			t.next++
			if sp.num < 0 || sp.num >= len(t.bins) {
				return nil, 0, fmt.Errorf("placeholder %d of %d attachments", sp.num, len(t.bins))
			}
			return mpAppendBin(dst, t.bins[sp.num]), sp.end, nil
		}
		return t.container(dst, i, '}')
	case '[':
		return t.container(dst, i, ']')
	case '"':
		end, esc, err := t.str(i)
		if err != nil {
			return nil, 0, err
		}
		s, ok := t.text(i, end, esc)
		if !ok {
			return nil, 0, errSyntax
		}
		return mpAppendStr(dst, s), end, nil
	case 't':
		end, err := t.lit(i, "true")
		return append(dst, 0xc3), end, err
	case 'f':
		end, err := t.lit(i, "false")
		return append(dst, 0xc2), end, err
	case 'n':
		end, err := t.lit(i, "null")
		return append(dst, 0xc0), end, err
	}
	end, err := t.number(i)
	if err != nil {
		return nil, 0, err
	}
	return mpAppendNumber(dst, t.b[i:end]), end, nil
}

// container transcodes an object or an array, whose count MessagePack
// writes first.
func (t *jsonTranscoder) container(dst []byte, i int, close byte) ([]byte, int, error) {
	if t.depth++; t.depth > maxDepth {
		return nil, 0, errSyntax
	}
	defer func() { t.depth-- }()
	want, ok := t.count(i)
	if !ok {
		return nil, 0, errSyntax
	}
	if close == '}' {
		dst = mpAppendMapLen(dst, want)
	} else {
		dst = mpAppendArrayLen(dst, want)
	}
	n := 0
	i = t.skipWS(i + 1)
	for i < len(t.b) && t.b[i] != close {
		var err error
		if close == '}' {
			if t.b[i] != '"' {
				return nil, 0, errSyntax
			}
			if dst, i, err = t.value(dst, i); err != nil { // the key
				return nil, 0, err
			}
			if i = t.skipWS(i); i >= len(t.b) || t.b[i] != ':' {
				return nil, 0, errSyntax
			}
			i = t.skipWS(i + 1)
		}
		if dst, i, err = t.value(dst, i); err != nil {
			return nil, 0, err
		}
		n++
		if i = t.skipWS(i); i < len(t.b) && t.b[i] == ',' {
			i = t.skipWS(i + 1)
		} else if i >= len(t.b) || t.b[i] != close {
			return nil, 0, errSyntax
		}
	}
	if i >= len(t.b) || n != want {
		return nil, 0, errSyntax
	}
	return dst, i + 1, nil
}

// mpAppendNumber writes a JSON number: an integer in its smallest form,
// another number as float64, or as an integer when integral (as JavaScript
// writes numbers).
func mpAppendNumber(dst, num []byte) []byte {
	if n, err := strconv.ParseInt(string(num), 10, 64); err == nil {
		return mpAppendInt(dst, n)
	}
	if u, err := strconv.ParseUint(string(num), 10, 64); err == nil {
		return mpAppendUint(dst, u)
	}
	f, _ := strconv.ParseFloat(string(num), 64) // valid JSON: at worst ±Inf, which JSON cannot hold
	if f == math.Trunc(f) && math.Abs(f) < 1<<63 {
		return mpAppendInt(dst, int64(f))
	}
	return mpAppendFloat64(dst, f)
}
