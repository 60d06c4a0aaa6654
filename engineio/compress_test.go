package engineio

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNoCompressPolling(t *testing.T) {
	ts := newTestServer(t, &Options{PingInterval: time.Minute})
	big := strings.Repeat("abc", 1000)
	for _, noCompress := range []bool{false, true} {
		sid := ts.handshake(t)
		f := TextFrame([]byte(big))
		f.NoCompress = noCompress
		ts.eio.Session(sid).Send(f)
		req, _ := http.NewRequest("GET", ts.url("EIO=4&transport=polling&sid="+sid), nil)
		req.Header.Set("Accept-Encoding", "gzip")
		tr := &http.Transport{DisableCompression: true}
		res, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		tr.CloseIdleConnections()
		if gz := res.Header.Get("Content-Encoding") == "gzip"; gz == noCompress {
			t.Errorf("NoCompress=%v: Content-Encoding %q", noCompress, res.Header.Get("Content-Encoding"))
		}
	}
}

// rawFrame is one WebSocket frame header as read off the wire.
type rawFrame struct {
	fin, rsv1 bool
	opcode    byte
	payload   []byte
}

func readRawFrame(t *testing.T, r *bufio.Reader) rawFrame {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Fatal(err)
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		io.ReadFull(r, b[:])
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		io.ReadFull(r, b[:])
		n = binary.BigEndian.Uint64(b[:])
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(r, p); err != nil {
		t.Fatal(err)
	}
	return rawFrame{fin: h[0]&0x80 != 0, rsv1: h[0]&0x40 != 0, opcode: h[0] & 0x0f, payload: p}
}

// TestNoCompressWebSocket reads the server's frames raw: with
// permessage-deflate a large message is compressed (RSV1 set), a NoCompress
// one is not.
func TestNoCompressWebSocket(t *testing.T) {
	ts := newTestServer(t, &Options{PerMessageDeflate: true, PingInterval: time.Minute})
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(conn, "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"+
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover\r\n\r\n")
	r := bufio.NewReader(conn)
	res, err := http.ReadResponse(r, nil)
	if err != nil || res.StatusCode != 101 {
		t.Fatalf("upgrade: %v %v", res, err)
	}
	open := readRawFrame(t, r)
	sid := parseOpen(t, string(open.payload)).SID
	ss := ts.eio.Session(sid)
	big := []byte(strings.Repeat("compressible ", 200))
	ss.Send(TextFrame(big))
	if f := readRawFrame(t, r); !f.rsv1 {
		t.Fatal("a large message was not compressed")
	}
	f := TextFrame(big)
	f.NoCompress = true
	ss.Send(f)
	var got []byte
	for {
		fr := readRawFrame(t, r)
		if fr.rsv1 {
			t.Fatal("a NoCompress message was compressed")
		}
		got = append(got, fr.payload...)
		if fr.fin {
			break
		}
	}
	if string(got) != "4"+string(big) {
		t.Fatalf("uncompressed message differs (%d bytes)", len(got))
	}
}
