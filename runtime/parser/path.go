package parser

import (
	"encoding/base64"
	"strconv"
)

// PathAt returns the path ("history[1].room", `scores["bob"]`, "" for the
// whole value) of the innermost part of a JSON value that holds the byte at
// offset-1 of the text Decode gave encoding/json: the value an encoding/json
// error's Offset (json.UnmarshalTypeError) points just after. Encoding/json's
// own Field names struct fields only, without list indices or map keys. The
// value's shape s (nil: none) tells map keys (`["bob"]`) from fields. ok is
// false for a value that is not JSON (see [Value.AsJSON]) or an offset
// outside it.
func (v Value) PathAt(offset int64, s *Shape) (path string, ok bool) {
	if v.kind != kindJSON || offset < 1 || offset > 1<<40 {
		return "", false
	}
	p := int(offset - 1)
	if v.flags&flagPlaceholders != 0 {
		// Decode gave encoding/json the text with each placeholder
		// replaced by the base64 string of its attachment: map p back.
		spans, err := placeholderSpans(v.raw)
		if err != nil {
			return "", false
		}
		shift := 0 // length of the text Decode decoded minus the raw text, before p
		bins := v.attachments()
		for _, sp := range spans {
			if sp.num < 0 || sp.num >= len(bins) {
				return "", false
			}
			start := sp.start + shift // where the string starts in the decoded text
			n := 2 + base64.StdEncoding.EncodedLen(len(bins[sp.num]))
			if p < start {
				break
			}
			if p < start+n { // inside the string: the placeholder
				p, shift = sp.start, 0
				break
			}
			shift += n - (sp.end - sp.start)
		}
		p -= shift
	}
	if p < 0 || p >= len(v.raw) {
		return "", false
	}
	w := pathWalker{jscan: jscan{b: v.raw}, target: p}
	if _, found, err := w.walk(w.skipWS(0), s); err != nil || !found {
		return "", false
	}
	return joinElems(w.elems), true
}

// A pathWalker reads JSON text once, down to the innermost value holding
// b[target], recording the path elements on the way back up.
type pathWalker struct {
	jscan
	target int
	elems  []string // innermost first
}

// walk reads the value at b[i], of shape s, and returns the index after
// it, and whether it holds b[target].
func (w *pathWalker) walk(i int, s *Shape) (end int, found bool, err error) {
	if i >= len(w.b) {
		return 0, false, errSyntax
	}
	var close byte
	switch w.b[i] {
	case '{':
		close = '}'
	case '[':
		close = ']'
	default:
		end, err := w.value(i)
		return end, err == nil && i <= w.target && w.target < end, err
	}
	if w.depth++; w.depth > maxDepth {
		return 0, false, errSyntax
	}
	defer func() { w.depth-- }()
	var elem *Shape
	if s.checked() {
		elem = s.elem
	}
	j := w.skipWS(i + 1)
	for k := 0; j < len(w.b) && w.b[j] != close; k++ {
		var name string
		cs := elem
		if close == '}' {
			kend, esc, err := w.str(j)
			if err != nil {
				return 0, false, err
			}
			key, _ := w.text(j, kend, esc)
			name = string(key)
			if s.checked() {
				var f int
				f, cs = s.member(key)
				name = s.elemPath(key, f)
			}
			if j = w.skipWS(kend); j >= len(w.b) || w.b[j] != ':' {
				return 0, false, errSyntax
			}
			j = w.skipWS(j + 1)
		} else {
			name = "[" + strconv.Itoa(k) + "]"
		}
		vend, found, err := w.walk(j, cs)
		if err != nil {
			return 0, false, err
		}
		if found {
			w.elems = append(w.elems, name)
			return vend, true, nil
		}
		if j = w.skipWS(vend); j < len(w.b) && w.b[j] == ',' {
			j = w.skipWS(j + 1)
		}
	}
	if j >= len(w.b) {
		return 0, false, errSyntax
	}
	return j + 1, i <= w.target && w.target <= j, nil
}
