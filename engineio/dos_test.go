package engineio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"testing"
)

// allocated returns the bytes f allocates (on this goroutine's watch: the
// test runs nothing else meanwhile).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A frame header announces a message of up to the limit; the peer sends a
// few bytes of it and then nothing. The server must not allocate the
// announced size before the bytes come: 14 bytes of header would otherwise
// hold MaxHTTPBufferSize (1 MB by default) per connection.
func TestWebSocketAnnouncedLengthNotPreallocated(t *testing.T) {
	const limit = 1_000_000
	for _, fin := range []bool{true, false} {
		first := byte(0x01) // text, not final
		if fin {
			first = 0x81
		}
		in := []byte{first, 0x80 | 127}
		in = binary.BigEndian.AppendUint64(in, limit)
		in = append(in, 1, 2, 3, 4)             // the mask
		in = append(in, "4abcdefghijklmnop"...) // 17 of the 1e6 bytes
		var out []byte
		c := bytesWSConn(in, &out)
		var err error
		n := allocated(func() { _, _, err = c.readMessage(limit) })
		if !errors.Is(err, io.EOF) {
			t.Fatalf("fin=%v: error %v, want EOF", fin, err)
		}
		if n > 4*wsPrealloc { // the buffer, and some slack for the race detector
			t.Fatalf("fin=%v: %d bytes allocated for a message of which 17 bytes came", fin, n)
		}
	}
}

// Messages that grow as their bytes come arrive whole: one frame, and
// fragments of every size around the preallocation.
func TestWebSocketGrowingMessages(t *testing.T) {
	msg := make([]byte, 300_000)
	for i := range msg {
		msg[i] = byte(i * 7)
	}
	for _, frag := range []int{1, 7, wsPrealloc - 1, wsPrealloc, wsPrealloc + 1, 100_000, len(msg)} {
		var in []byte
		for off := 0; off < len(msg); off += frag {
			first := byte(opContinuation)
			if off == 0 {
				first = opBinary
			}
			if off+frag >= len(msg) {
				first |= 0x80
			}
			in = append(in, clientFrame(first, msg[off:min(off+frag, len(msg))])...)
			if frag == 1 && off > 20_000 { // enough single bytes: the rest at once
				in = append(in, clientFrame(0x80, msg[off+1:])...)
				break
			}
		}
		var out []byte
		c := bytesWSConn(in, &out)
		bin, data, err := c.readMessage(len(msg))
		if err != nil || !bin || !bytes.Equal(data, msg) {
			t.Fatalf("fragments of %d: binary=%v, %d bytes, %v", frag, bin, len(data), err)
		}
	}
}
