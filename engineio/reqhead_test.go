package engineio

import (
	"bufio"
	"bytes"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// nodeHandshake is the head of the WebSocket handshake of Node's
// socket.io-client 4.8 (ws 8), as it sends it.
const nodeHandshake = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n" +
	"Sec-WebSocket-Version: 13\r\n" +
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
	"Connection: Upgrade\r\n" +
	"Upgrade: websocket\r\n" +
	"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" +
	"Host: 127.0.0.1:3000\r\n" +
	"\r\n"

func TestParseHead(t *testing.T) {
	head := func(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n\r\n" }
	fields := func(n int) []string {
		l := []string{"GET / HTTP/1.1", "Host: h"}
		for i := range n {
			l = append(l, "X-F: "+strings.Repeat("v", i))
		}
		return l
	}
	tests := []struct {
		name string
		head string
		ok   bool
	}{
		{"node client", nodeHandshake, true},
		{"browser", head("GET /socket.io/?EIO=4&transport=websocket&sid=abc HTTP/1.1", "Host: localhost:3000",
			"Connection: Upgrade", "Pragma: no-cache", "Cache-Control: no-cache",
			"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
			"Upgrade: websocket", "Origin: http://localhost:3000", "Sec-WebSocket-Version: 13",
			"Accept-Encoding: gzip, deflate, br, zstd", "Accept-Language: en-US,en;q=0.9",
			"Cookie: io=abc; theme=dark", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
			"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits"), true},
		{"repeated field, odd case, spaces", head("GET /a%20b?x=1 HTTP/1.1", "hOsT:   example.com:80  ", "x-a: 1",
			"X-A:2", "x-empty:", "x_under-score: \tv\t"), true},
		{"IPv6 host", head("GET / HTTP/1.1", "Host: [::1]:3000"), true},
		{"64 fields", head(fields(63)...), true},

		{"65 fields", head(fields(64)...), false},
		{"POST", head("POST / HTTP/1.1", "Host: h"), false},
		{"HTTP/1.0", head("GET / HTTP/1.0", "Host: h"), false},
		{"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", false},
		{"absolute form", head("GET http://h/ HTTP/1.1", "Host: h"), false},
		{"asterisk", head("GET * HTTP/1.1", "Host: h"), false},
		{"space in target", head("GET /a b HTTP/1.1", "Host: h"), false},
		{"bare LF", "GET / HTTP/1.1\nHost: h\n\n", false},
		{"bare CR", "GET / HTTP/1.1\rHost: h\r\n\r\n", false},
		{"folded field", head("GET / HTTP/1.1", "Host: h", "X-A: 1", " 2"), false},
		{"space before colon", head("GET / HTTP/1.1", "Host: h", "X-A : 1"), false},
		{"no colon", head("GET / HTTP/1.1", "Host: h", "X-A"), false},
		{"empty name", head("GET / HTTP/1.1", "Host: h", ": 1"), false},
		{"control in value", head("GET / HTTP/1.1", "Host: h", "X-A: 1\x002"), false},
		{"DEL in value", head("GET / HTTP/1.1", "Host: h", "X-A: 1\x7f"), false},
		{"no host", head("GET / HTTP/1.1", "X-A: 1"), false},
		{"two hosts", head("GET / HTTP/1.1", "Host: h", "Host: h"), false},
		{"host with a slash", head("GET / HTTP/1.1", "Host: h/x"), false},
		{"content length", head("GET / HTTP/1.1", "Host: h", "Content-Length: 1"), false},
		{"chunked", head("GET / HTTP/1.1", "Host: h", "Transfer-Encoding: chunked"), false},
		{"no blank line", "GET / HTTP/1.1\r\nHost: h\r\n", false},
		{"bytes after the head", head("GET / HTTP/1.1", "Host: h") + "x", false},
		{"bad escape", head("GET /%zz HTTP/1.1", "Host: h"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := parseHead([]byte(tt.head))
			if ok != tt.ok {
				t.Fatalf("parseHead: %v, want %v", ok, tt.ok)
			}
			if ok {
				sameAsNetHTTP(t, []byte(tt.head), r)
			}
		})
	}
}

// sameAsNetHTTP fails t unless r is what net/http reads from head.
func sameAsNetHTTP(t *testing.T, head []byte, r *http.Request) {
	t.Helper()
	want, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head)))
	if err != nil {
		t.Fatalf("parseHead took a head net/http refuses (%v): %q", err, head)
	}
	if r.Method != want.Method || r.URL.String() != want.URL.String() || r.RequestURI != want.RequestURI ||
		r.Host != want.Host || r.Proto != want.Proto || r.ProtoMajor != want.ProtoMajor || r.ProtoMinor != want.ProtoMinor {
		t.Fatalf("request %s %s %s %q (%s), net/http %s %s %s %q (%s)", r.Method, r.URL, r.RequestURI, r.Host, r.Proto,
			want.Method, want.URL, want.RequestURI, want.Host, want.Proto)
	}
	if !maps.EqualFunc(r.Header, want.Header, slices.Equal) {
		t.Fatalf("header %q, net/http %q", r.Header, want.Header)
	}
	if r.Body != http.NoBody || r.ContentLength != 0 {
		t.Fatalf("a body: %v, %d", r.Body, r.ContentLength)
	}
}

// FuzzParseHead checks that parseHead never panics and that what it takes,
// net/http reads alike.
func FuzzParseHead(f *testing.F) {
	f.Add([]byte(nodeHandshake))
	f.Add([]byte("GET /x?a=%20 HTTP/1.1\r\nHost: h\r\nx-a: 1\r\nX-A: 2\r\n\r\n"))
	f.Add([]byte("GET / HTTP/1.1\r\nHost: h\r\n X: folded\r\n\r\n"))
	f.Fuzz(func(t *testing.T, head []byte) {
		orig := bytes.Clone(head)
		r, ok := parseHead(head)
		if !bytes.Equal(head, orig) {
			t.Fatalf("parseHead changed its input")
		}
		if ok {
			sameAsNetHTTP(t, head, r)
		}
	})
}
