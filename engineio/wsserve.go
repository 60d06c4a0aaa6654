package engineio

import (
	"encoding/binary"
	"net"
)

// A session's reader (Session.readDirect) reads its socket through serve:
// inside one syscall.RawConn.Read it reads what the socket has and hands
// every whole message to the session, there and then. The point is the
// read after each message. Go's poller forgets a socket's readiness when a
// read through it starts, so a reader that starts one per message must
// read until EAGAIN before it may wait: two read(2)s per message. Inside
// one RawConn.Read the readiness is never forgotten: after a read that
// left the socket empty (it returned less than the buffer holds), serve
// waits for the poller's next edge at once, and an edge that came while
// it worked makes that wait return at once. One read(2) per message.
//
// Two things follow. What serve cannot finish with what it has read — a
// message in several frames, a control frame, a message cut by the end of
// the read — it leaves in c.r and returns, and the reader goes on with
// readMessage, which waits for the rest the usual way. And a Close while
// serve's function runs would wait for it (the descriptor's Close waits
// for every operation in progress), which is a deadlock when the session
// closes the socket from inside (on a close packet, say): so Close then
// only asks, and serve returns and the reader closes.

// serveState is serve's arguments and results, kept in the connection so
// that serveFd is made once (a method value) and serve allocates nothing.
type serveState struct {
	limit   int                     // the largest message
	on      func(bool, []byte) bool // the session's onMessage
	dry     bool                    // return once the socket is drained
	handled bool                    // a message was handed to on
	stop    bool                    // on returned false
	err     error                   // the read's error, or net.ErrClosed after a Close
}

// serve waits until the socket is readable and hands the whole messages it
// reads to on, of at most limit bytes each, until on returns false (stop),
// the read fails or the connection is closed (err), what was read ends in
// the middle of a message or with a control frame (both false and nil;
// readMessage reads on from c.r), or, with dry, the socket is drained after
// at least one read. handled reports whether on was called.
func (c *wsNetConn) serve(limit int, on func(bool, []byte) bool, dry bool) (handled, stop bool, err error) {
	c.sv = serveState{limit: limit, on: on, dry: dry}
	if rerr := c.raw.Read(c.serveFn); rerr != nil && c.sv.err == nil {
		c.sv.err = rerr
	}
	if c.closeAsked.Load() && c.sv.err == nil && !c.sv.stop {
		c.sv.err = net.ErrClosed
	}
	sv := c.sv
	c.sv = serveState{} // let on go
	return sv.handled, sv.stop, sv.err
}

// serveFd is c.serveFn, the RawConn.Read function of serve: false to wait
// for the next edge.
func (c *wsNetConn) serveFd(fd uintptr) bool {
	c.cmu.Lock()
	c.inServe = true
	c.cmu.Unlock()
	done := c.serveReads(fd)
	c.cmu.Lock()
	c.inServe = false
	done = done || c.closeAsked.Load()
	c.cmu.Unlock()
	return done
}

// serveReads reads fd and hands on what it can; true when serve returns.
func (c *wsNetConn) serveReads(fd uintptr) bool {
	for {
		if !readPooled(fd, &wsReadBufs, &c.rbuf, &c.rres) {
			return false // nothing to read: wait
		}
		if err := c.rres.readErr(); err != nil {
			wsReadBufs.Put(c.rbuf)
			c.rbuf = nil
			c.sv.err = err
			return true
		}
		c.r = (*c.rbuf)[:c.rres.n]
		drained := c.rres.n < len(*c.rbuf)
		for c.wholeMessage() {
			// All of it is in c.r: readMessage makes no read.
			bin, data, err := c.readMessage(c.sv.limit)
			if err != nil {
				c.sv.err = err
				return true
			}
			c.sv.handled = true
			if !c.sv.on(bin, data) {
				c.sv.stop = true
				return true
			}
			if c.closeAsked.Load() {
				return true
			}
		}
		if len(c.r) > 0 || c.sv.dry {
			return true
		}
		if drained {
			return false
		}
	}
}

// wholeMessage reports whether c.r starts with a whole message in one
// frame: final, text or binary, masked, shorter than 64 KiB. Anything else
// is left to readMessage, which reads on or fails it.
func (c *wsNetConn) wholeMessage() bool {
	b := c.r
	if len(b) < 2 || (b[0] != 0x80|opText && b[0] != 0x80|opBinary) || b[1]&0x80 == 0 {
		return false
	}
	n, h := int(b[1]&0x7f), 6
	switch n {
	case 127:
		return false
	case 126:
		if len(b) < 4 {
			return false
		}
		n, h = int(binary.BigEndian.Uint16(b[2:])), 8
	}
	return len(b) >= h+n
}

// Close closes the connection; while serve's function runs it only asks,
// and the reader closes it when serve returns (see the top of this file).
func (c *wsNetConn) Close() error {
	c.cmu.Lock()
	c.closeAsked.Store(true)
	serving := c.inServe
	c.cmu.Unlock()
	if serving {
		return nil
	}
	return c.Conn.Close()
}
