package engineio

import (
	"bytes"
	"net/http"
	"net/url"
	"unsafe"
)

// parseHead parses b, the head of an HTTP/1.1 request up to and including
// the blank line that ends it, into a request with no body, when it is a
// plain GET that the Listener may serve without net/http. It is strict on
// purpose: anything else — another method or version, a bare LF, a folded
// or malformed field, a body, no Host or two, a target that is not a path —
// is false, and the connection goes to net/http, which answers it as it
// answers any request.
func parseHead(b []byte) (*http.Request, bool) {
	// One copy of the head holds every string of the request (the fields'
	// names canonicalized in it first): one allocation, where net/http
	// makes one per name and value.
	hb := append(make([]byte, 0, len(b)), b...)
	line, rest, ok := cutLine(hb)
	if !ok {
		return nil, false
	}
	target, ok := bytes.CutPrefix(line, []byte("GET "))
	if !ok {
		return nil, false
	}
	target, ok = bytes.CutSuffix(target, []byte(" HTTP/1.1"))
	if !ok || len(target) == 0 || target[0] != '/' || !visible(target) {
		return nil, false
	}
	var spans [maxFields]struct{ name, value []byte }
	n := 0
	for {
		line, rest, ok = cutLine(rest)
		if !ok {
			return nil, false
		}
		if len(line) == 0 {
			break
		}
		if n == maxFields {
			return nil, false
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !validFieldName(string(name)) || !fieldValue(value) {
			return nil, false // obs-fold, a space before the colon, a CTL
		}
		canonicalKey(name)
		spans[n].name, spans[n].value = name, bytes.Trim(value, " \t")
		n++
	}
	if len(rest) != 0 {
		return nil, false
	}
	head := unsafe.String(unsafe.SliceData(hb), len(hb)) // hb is not written again
	str := func(p []byte) string {
		if len(p) == 0 {
			return ""
		}
		i := cap(hb) - cap(p) // p is hb[i:i+len(p)]
		return head[i : i+len(p)]
	}
	u, err := url.ParseRequestURI(str(target))
	if err != nil {
		return nil, false
	}
	h := make(http.Header, n)
	values := make([]string, n) // the backing array of the one-value fields
	host, hosts := "", 0
	for i, f := range spans[:n] {
		key, v := str(f.name), str(f.value)
		switch key {
		case "Host":
			host, hosts = v, hosts+1
			continue // net/http moves it to Request.Host too
		case "Content-Length", "Transfer-Encoding":
			return nil, false
		}
		if vs, ok := h[key]; ok {
			h[key] = append(vs, v)
			continue
		}
		values[i] = v
		h[key] = values[i : i+1 : i+1]
	}
	if hosts != 1 || !validHost(host) {
		return nil, false
	}
	return &http.Request{
		Method:     http.MethodGet,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Body:       http.NoBody,
		Host:       host,
		RequestURI: str(target),
	}, true
}

// maxFields is the most header fields parseHead takes (a browser's
// handshake has about 15).
const maxFields = 64

// canonicalKey makes the field name b canonical in place, as
// textproto.CanonicalMIMEHeaderKey does for a valid name: the first letter
// and each after a hyphen upper case, the others lower case.
func canonicalKey(b []byte) {
	upper := true
	for i, c := range b {
		if upper && 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		} else if !upper && 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
		upper = c == '-'
	}
}

// cutLine cuts b at its first CRLF; false when it has none or a bare CR or
// LF comes first.
func cutLine(b []byte) (line, rest []byte, ok bool) {
	i := bytes.IndexAny(b, "\r\n")
	if i < 0 || i+1 >= len(b) || b[i] != '\r' || b[i+1] != '\n' {
		return nil, nil, false
	}
	return b[:i], b[i+2:], true
}

// visible reports whether b has only visible ASCII characters, as a request
// target must.
func visible(b []byte) bool {
	for _, c := range b {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// fieldValue reports whether b may be a field value (RFC 9110 §5.5): no
// control characters but horizontal tabs. An empty value is allowed; a
// leading space or tab is the optional whitespace, trimmed.
func fieldValue(b []byte) bool {
	for _, c := range b {
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// validHost reports whether h may be a Host field: a host name, an IPv4 or
// bracketed IPv6 address, and a port, in the characters they are written
// with (net/http would refuse anything else with 400, and still will).
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_' {
			continue
		}
		return false
	}
	return true
}
