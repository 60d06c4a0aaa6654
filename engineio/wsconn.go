package engineio

import (
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
)

// A server WebSocket on a plain socket (anything with syscall.Conn, without
// permessage-deflate; TLS and compression keep github.com/coder/websocket
// for the whole connection) is handshaken (wshandshake.go), read (wsread.go)
// and written (here) by this package. The library would buffer the
// connection with net/http's two 4 KiB bufio buffers for its whole life,
// read it through its own locks and a multi-reader, and write each message
// through its locks and a writer goroutine of ours. Instead:
//
//   - Reading (wsread.go): frames are parsed from a pooled buffer that is
//     taken only once the socket is readable (the read waits holding none)
//     and given back when drained. An idle session holds no read buffer and
//     its goroutine waits a few frames deep. A session's messages are
//     handed over inside the poller's read (wsserve.go): one read(2) per
//     message, not two.
//   - Writing: frames are written by the goroutine that sends them, with one
//     non-blocking write per batch. What the kernel does not take at once is
//     kept in order and written by a goroutine that exists only while there
//     is a backlog. There is no writer goroutine per session and no hand-off
//     per message; a slow peer never blocks the sender.
//
// Control frames (pongs, close frames) and "3probe" go through the same
// ordered path; nothing is written after a close frame.

// wsReadBufSize is the size of the pooled buffers a WebSocket is read into.
const wsReadBufSize = 8 << 10

var wsReadBufs = sync.Pool{New: func() any { b := make([]byte, wsReadBufSize); return &b }}

// wsNetConn is a hijacked TCP connection with lazy read buffers and
// non-blocking, ordered writes. See the comment at the top of this file.
type wsNetConn struct {
	net.Conn
	raw   syscall.RawConn
	limit int

	// Read side, used by the one reading goroutine.
	rbuf   *[]byte // pooled buffer behind r, nil when r is empty or not pooled
	r      []byte  // read but not yet consumed
	readFn func(fd uintptr) bool
	rres   sysResult

	// serve's (wsserve.go).
	serveFn    func(fd uintptr) bool
	sv         serveState
	cmu        sync.Mutex
	inServe    bool        // serveFn runs: Close only asks; under cmu
	closeAsked atomic.Bool // Close was called; set under cmu

	// Write side.
	wmu       sync.Mutex
	head      []byte      // the 101 response, to go out with the first write
	pend      []byte      // bytes the kernel has not taken yet, in order
	flushing  bool        // a goroutine is writing pend
	werr      error       // the first write error; every later write fails with it
	closeSent bool        // a close frame was written: nothing may follow it
	onFail    func(error) // told of a write error of the flushing goroutine
	writeFn   func(fd uintptr) bool
	wv        [][]byte // what writeFn writes, under wmu
	iov       []iovec  // writeFn's scratch
	hdr       []byte   // writeFrames' scratch: the frame headers
	wres      sysResult
}

// Read reads what the socket has, through a pooled buffer held only while it
// has unread bytes.
func (c *wsNetConn) Read(p []byte) (int, error) {
	if len(c.r) == 0 {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, c.r)
	c.r = c.r[n:]
	if len(c.r) == 0 {
		c.r = nil
		if c.rbuf != nil {
			wsReadBufs.Put(c.rbuf)
			c.rbuf = nil
		}
	}
	return n, nil
}

// fill waits until the socket is readable, without a buffer, then reads it
// into a pooled one.
func (c *wsNetConn) fill() error {
	c.rres = sysResult{}
	err := c.raw.Read(c.readFn)
	if err == nil {
		err = c.rres.readErr()
	}
	if err != nil {
		if c.rbuf != nil {
			wsReadBufs.Put(c.rbuf)
			c.rbuf = nil
		}
		return err
	}
	c.r = (*c.rbuf)[:c.rres.n]
	return nil
}

// sysResult is what a system call made through syscall.RawConn returned.
type sysResult struct {
	n   int
	err error
}

// readErr is the error of a read that returned r: nil when it read bytes.
func (r sysResult) readErr() error {
	if r.err != nil {
		return os.NewSyscallError("read", r.err)
	}
	if r.n <= 0 {
		return io.EOF
	}
	return nil
}

// readPooled is a syscall.RawConn.Read function's body: one read of fd into
// a buffer from pool, kept in *bp, its result in *res; false (wait for
// readability) when there is nothing to read, and then no buffer is kept. A
// wait for a silent peer so holds no buffer.
func readPooled(fd uintptr, pool *sync.Pool, bp **[]byte, res *sysResult) bool {
	b := pool.Get().(*[]byte)
	for {
		res.n, res.err = sysRead(fd, *b)
		if res.err != syscall.EINTR {
			break
		}
	}
	if res.err == syscall.EAGAIN {
		pool.Put(b)
		return false
	}
	*bp = b
	return true
}

// readFd is c.readFn: readPooled into c.rbuf. (A method value made once: a
// closure per call would allocate.)
func (c *wsNetConn) readFd(fd uintptr) bool {
	return readPooled(fd, &wsReadBufs, &c.rbuf, &c.rres)
}

// maxIovecs is Linux's IOV_MAX: what one writev takes at most.
const maxIovecs = 1024

// writeFd is c.writeFn: one non-blocking writev(2) of c.wv, so that a frame's
// header and its payload (the same bytes for every recipient of a
// broadcast) go out together without being copied. It never waits for
// writability: a full socket is the flushing goroutine's business.
func (c *wsNetConn) writeFd(fd uintptr) bool {
	iov := c.iov[:0]
	for _, b := range c.wv {
		if len(b) == 0 {
			continue
		}
		if len(iov) == maxIovecs {
			break // the rest counts as not written
		}
		iov = append(iov, newIovec(b))
	}
	c.iov = iov
	c.wres = sysResult{}
	if len(iov) == 0 {
		return true
	}
	for {
		n, e := sysWritev(fd, iov)
		if e == syscall.EINTR {
			continue
		}
		if e != 0 {
			c.wres.err = e
		} else {
			c.wres.n = n
		}
		return true
	}
}

// Write writes p in order after anything pending, without blocking: what
// the kernel does not take is kept and written in the background. The 101
// response goes out through it.
func (c *wsNetConn) Write(p []byte) (int, error) {
	c.wmu.Lock()
	c.wv = append(c.wv[:0], p)
	err := c.writeLocked(false)
	c.wmu.Unlock()
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeFrames writes frames as WebSocket messages, one frame each, in one
// write. With limit, it fails with ErrQueueFull rather than hold back more
// than c.limit bytes.
func (c *wsNetConn) writeFrames(frames []Frame, limit bool) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent {
		return ErrClosed
	}
	// The headers first, then the slices: c.hdr does not move meanwhile.
	h := c.hdr[:0]
	for _, f := range frames {
		h = appendFrameHeader(h, dataOp(f.Binary), len(f.Data))
	}
	c.hdr = h
	c.wv = c.wv[:0]
	for _, f := range frames {
		n := frameHeaderLen(len(f.Data))
		c.wv = append(c.wv, h[:n], f.Data)
		h = h[n:]
	}
	return c.writeLocked(limit)
}

// frameHeaderLen is the length of the header appendFrameHeader writes for
// a payload of n bytes.
func frameHeaderLen(n int) int {
	switch {
	case n < 126:
		return 2
	case n <= 0xffff:
		return 4
	default:
		return 10
	}
}

// dataOp is the opcode of a data frame.
func dataOp(binary bool) byte {
	if binary {
		return opBinary
	}
	return opText
}

// appendFrameHeader appends the header of an unmasked, final WebSocket
// frame (RFC 6455 §5.2) with opcode op and a payload of n bytes.
func appendFrameHeader(b []byte, op byte, n int) []byte {
	op |= 0x80 // FIN
	switch {
	case n < 126:
		return append(b, op, byte(n))
	case n <= 0xffff:
		return append(b, op, 126, byte(n>>8), byte(n))
	default:
		u := uint64(n)
		return append(b, op, 127, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32),
			byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
	}
}

// writeLocked writes c.wv, or queues it behind pending bytes. c.wmu is
// held; c.wv is emptied and none of its slices is kept.
func (c *wsNetConn) writeLocked(limit bool) error {
	defer func() {
		clear(c.wv) // let the payloads go
		c.wv = c.wv[:0]
		clear(c.iov)
	}()
	if c.werr != nil {
		return c.werr
	}
	if c.head != nil {
		c.wv = append(c.wv, nil)
		copy(c.wv[1:], c.wv)
		c.wv[0], c.head = c.head, nil
	}
	size := 0
	for _, b := range c.wv {
		size += len(b)
	}
	if size == 0 {
		return nil
	}
	if c.flushing {
		if limit && len(c.pend)+size > c.limit {
			return ErrQueueFull
		}
		c.pend = appendAll(c.pend, c.wv, 0)
		return nil
	}
	err := c.raw.Write(c.writeFn)
	n, serr := c.wres.n, c.wres.err
	if serr == syscall.EAGAIN {
		n, serr = 0, nil
	}
	if err == nil && serr != nil {
		err = os.NewSyscallError("write", serr)
	}
	if err != nil {
		c.werr = err
		return err
	}
	if n < size {
		c.pend = appendAll(c.pend[:0], c.wv, n)
		c.flushing = true
		go c.flush()
	}
	return nil
}

// appendAll appends the bytes of bufs after the first skip of them to b.
func appendAll(b []byte, bufs [][]byte, skip int) []byte {
	for _, p := range bufs {
		if skip >= len(p) {
			skip -= len(p)
			continue
		}
		b = append(b, p[skip:]...)
		skip = 0
	}
	return b
}

// flush writes the pending bytes, blocking, until there are none or a write
// fails (the connection is closed, at the latest, when the session ends).
func (c *wsNetConn) flush() {
	var spare []byte
	for {
		c.wmu.Lock()
		b := c.pend
		if len(b) == 0 || c.werr != nil {
			c.pend = nil // an idle connection keeps no write buffer
			c.flushing = false
			c.wmu.Unlock()
			return
		}
		c.pend = spare[:0]
		c.wmu.Unlock()

		_, err := c.Conn.Write(b)

		if err != nil {
			c.wmu.Lock()
			c.werr = err
			c.pend = nil
			c.flushing = false
			fail := c.onFail
			c.wmu.Unlock()
			if fail != nil {
				fail(err)
			}
			return
		}
		spare = b
	}
}
