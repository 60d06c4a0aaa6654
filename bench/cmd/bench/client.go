package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/siogen/siogen/bench/internal/floor"
)

// A proto is what the load generator speaks to a contender. The generator
// implements WebSocket (wsclient.go), Engine.IO and Socket.IO framing itself.
type proto int

const (
	pTCP    proto = iota // 64-byte records on a TCP connection
	pWS                  // one WebSocket text message per record
	pSIO5                // Engine.IO v4 / Socket.IO v5, JSON parser, over WebSocket
	pSIO5MP              // Engine.IO v4 / Socket.IO v5, socket.io-msgpack-parser
	pSIO3                // Engine.IO v3 / Socket.IO v4 (socket.io 2.x wire), JSON
)

func (p proto) socketIO() bool { return p >= pSIO5 }

// payloadSize: every contender's payload is one floor record (raw-tcp sends
// the payload alone), unless a scenario sets a larger size (setPayload): a
// larger payload is as many whole records, of which none is a publish.
const payloadSize = floor.RecordSize

// pubEvent is the event a fan-out's publisher emits; the floors, which have
// no events, get a publish record instead (floor.MarkPublish).
const pubEvent = "pub"

// epoch is the origin of the stamps carried in payloads: every payload starts
// with '#' and 19 decimal digits, the nanoseconds from epoch to the moment the
// message was meant to be sent (not when it was), padded with 'x' to the
// payload's size (a publish to a floor ends in 'P' instead: floor.MarkPublish).
var epoch = time.Now()

func now() int64 { return int64(time.Since(epoch)) }

func putStamp(buf []byte, stamp int64) {
	buf[0] = '#'
	for i := 19; i >= 1; i-- {
		buf[i] = byte('0' + stamp%10)
		stamp /= 10
	}
	for i := 20; i < len(buf); i++ {
		buf[i] = 'x'
	}
}

// getStamp finds the first '#' followed by 19 digits: a '#' byte may come
// earlier in a msgpack packet (an ack id of 35 is the byte 0x23).
func getStamp(frame []byte) (int64, bool) {
next:
	for off := 0; ; {
		i := bytes.IndexByte(frame[off:], '#')
		if i < 0 || len(frame) < off+i+20 {
			return 0, false
		}
		i += off
		off = i + 1
		var v int64
		for _, c := range frame[i+1 : i+20] {
			if c < '0' || c > '9' {
				continue next
			}
			v = v*10 + int64(c-'0')
		}
		return v, true
	}
}

type client struct {
	p    proto
	tcp  net.Conn
	rd   *bufio.Reader
	ws   *wsClient
	poll *poller // long-polling (no WebSocket)
	out  []byte  // the sender's frame buffer (one sender goroutine per client)
	in   []byte  // the TCP receiver's buffer
	size int     // the payload's size: payloadSize unless setPayload changed it

	ackID int64 // the id of the last record recv returned if it was an ACK, else -1
}

// dial connects and, for Socket.IO, completes the Engine.IO handshake and the
// CONNECT to namespace "/".
func dial(ctx context.Context, p proto, t tmode, addr string) (*client, error) {
	if t != tWS {
		return dialPolling(ctx, p, addr, t == tUpgrade)
	}
	c := &client{p: p, out: make([]byte, 0, 128), size: payloadSize, ackID: -1}
	switch p {
	case pTCP:
		conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err != nil {
			return nil, err
		}
		c.tcp, c.rd, c.in = conn, bufio.NewReaderSize(conn, 4096), make([]byte, payloadSize)
		return c, nil
	case pWS:
		ws, err := dialWS(ctx, "ws://"+addr+"/")
		if err != nil {
			return nil, err
		}
		c.ws = ws
		return c, nil
	}
	eio := "4"
	if p == pSIO3 {
		eio = "3"
	}
	ws, err := dialWS(ctx, "ws://"+addr+"/socket.io/?EIO="+eio+"&transport=websocket")
	if err != nil {
		return nil, err
	}
	c.ws = ws
	_, msg, err := ws.read(ctx)
	if err != nil || len(msg) == 0 || msg[0] != '0' {
		ws.closeNow()
		return nil, fmt.Errorf("engine.io open: %q %v", msg, err)
	}
	switch p {
	case pSIO5:
		err = ws.write(ctx, false, []byte("40"))
	case pSIO5MP: // {"type":0,"nsp":"/"}
		err = ws.write(ctx, true, []byte("\x82\xa4type\x00\xa3nsp\xa1/"))
	}
	if err != nil {
		ws.closeNow()
		return nil, err
	}
	for { // the server's CONNECT
		bin, msg, err := ws.read(ctx)
		if err != nil {
			ws.closeNow()
			return nil, err
		}
		if bin || bytes.HasPrefix(msg, []byte("40")) {
			if err := ws.unbind(); err != nil { // reads and writes outlive dial's ctx
				ws.closeNow()
				return nil, err
			}
			return c, nil
		}
		if bytes.HasPrefix(msg, []byte("44")) {
			ws.closeNow()
			return nil, fmt.Errorf("connect error: %s", msg)
		}
	}
}

// setPayload makes the client send payloads of n bytes, a multiple of
// floor.RecordSize (the TCP floor echoes whole records); it is called before
// the client sends or receives.
func (c *client) setPayload(n int) {
	if n%floor.RecordSize != 0 || n < floor.RecordSize || n >= 1<<16 {
		panic(fmt.Sprintf("payload size %d: not a multiple of %d below 64 KiB", n, floor.RecordSize))
	}
	c.size = n
	c.out = make([]byte, 0, n+64)
	if c.in != nil {
		c.in = make([]byte, n)
	}
}

// send sends one record: the payload as the argument of event for Socket.IO.
func (c *client) send(ctx context.Context, event string, stamp int64) error {
	return c.sendAck(ctx, event, stamp, -1)
}

// sendAck sends one record like send; with id >= 0 the Socket.IO EVENT asks
// for an acknowledgement with that id (`42<id>["event","…"]`, or the "id" key
// of the msgpack packet object).
func (c *client) sendAck(ctx context.Context, event string, stamp, id int64) error {
	b := c.out[:0]
	switch c.p {
	case pTCP, pWS: // a record; the floor servers echo it or, a publish, write it to every connection
		b = b[:c.size]
		putStamp(b, stamp)
		if event == pubEvent {
			floor.MarkPublish(b)
		}
		if c.p == pTCP {
			_, err := c.tcp.Write(b)
			return err
		}
	case pSIO5, pSIO3:
		b = append(b, `42`...)
		if id >= 0 {
			b = strconv.AppendInt(b, id, 10)
		}
		b = append(b, `["`...)
		b = append(b, event...)
		b = append(b, `","`...)
		n := len(b)
		b = b[:n+c.size]
		putStamp(b[n:], stamp)
		b = append(b, `"]`...)
	case pSIO5MP: // {"type":2,"data":[event,payload],"nsp":"/"[,"id":id]}
		if id >= 0 {
			b = append(b, 0x84)
		} else {
			b = append(b, 0x83)
		}
		b = append(b, "\xa4type\x02\xa4data\x92"...)
		b = append(b, 0xa0|byte(len(event)))
		b = append(b, event...)
		if c.size < 1<<8 {
			b = append(b, 0xd9, byte(c.size)) // str 8
		} else {
			b = append(b, 0xda, byte(c.size>>8), byte(c.size)) // str 16
		}
		n := len(b)
		b = b[:n+c.size]
		putStamp(b[n:], stamp)
		b = append(b, "\xa3nsp\xa1/"...)
		if id >= 0 {
			b = append(b, "\xa2id"...)
			b = appendMsgpackUint(b, uint64(id))
		}
		c.out = b
		return c.write(ctx, true, b)
	}
	c.out = b
	return c.write(ctx, false, b)
}

// write sends one Engine.IO packet: a WebSocket message, or a POST.
func (c *client) write(ctx context.Context, binary bool, b []byte) error {
	if c.poll != nil {
		return c.poll.post(ctx, binary, b)
	}
	return c.ws.write(ctx, binary, b)
}

// recv returns the next record's stamp, answering Engine.IO v4 pings.
func (c *client) recv(ctx context.Context) (int64, error) {
	if c.p == pTCP {
		if _, err := io.ReadFull(c.rd, c.in); err != nil {
			return 0, err
		}
		s, _ := getStamp(c.in)
		return s, nil
	}
	for {
		var binary bool
		var msg []byte
		if c.poll != nil {
			select {
			case pk, ok := <-c.poll.inbox:
				if !ok {
					return 0, errors.New("polling ended")
				}
				binary, msg = pk.binary, pk.data
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		} else {
			bin, m, err := c.ws.read(ctx)
			if err != nil {
				return 0, err
			}
			binary, msg = bin, m
		}
		if !binary && len(msg) == 1 && msg[0] == '2' && c.p != pSIO3 {
			if err := c.write(ctx, false, []byte("3")); err != nil {
				return 0, err
			}
			continue
		}
		if !binary && len(msg) == 1 && msg[0] == '6' { // noop
			continue
		}
		if s, ok, err := c.record(binary, msg); err != nil || ok {
			return s, err
		}
	}
}

// record reads a stamp out of one Engine.IO message (false: not a record,
// e.g. the CONNECT reply) and sets c.ackID.
func (c *client) record(binary bool, msg []byte) (int64, bool, error) {
	c.ackID = -1
	if c.p.socketIO() && !binary {
		if !bytes.HasPrefix(msg, []byte("42")) && !bytes.HasPrefix(msg, []byte("43")) {
			return 0, false, nil
		}
		if msg[1] == '3' {
			c.ackID = parseUint(msg[2:])
		}
	}
	if c.p == pSIO5MP && binary {
		c.ackID = msgpackAckID(msg)
	}
	s, ok := getStamp(msg)
	if !ok {
		return 0, false, errors.New("record without a stamp: " + strconv.Quote(string(msg)))
	}
	return s, true, nil
}

// parseUint reads the decimal digits at the start of b (-1 if none).
func parseUint(b []byte) int64 {
	v := int64(-1)
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		v = max(v, 0)*10 + int64(c-'0')
	}
	return v
}

func appendMsgpackUint(b []byte, v uint64) []byte {
	switch {
	case v < 128:
		return append(b, byte(v))
	case v < 1<<8:
		return append(b, 0xcc, byte(v))
	case v < 1<<16:
		return append(b, 0xcd, byte(v>>8), byte(v))
	default:
		return append(b, 0xce, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

// msgpackAckID is the id of a msgpack ACK packet ({"type":3,…,"id":N}), -1
// for any other packet. The packet object's keys are short strings; the
// payload is the only long one and holds no 0xa2 'i' 'd' (it is '#', digits, 'x').
func msgpackAckID(msg []byte) int64 {
	if !bytes.Contains(msg, []byte("\xa4type\x03")) {
		return -1
	}
	i := bytes.Index(msg, []byte("\xa2id"))
	if i < 0 || i+3 >= len(msg) {
		return -1
	}
	b := msg[i+3:]
	switch {
	case b[0] < 0x80:
		return int64(b[0])
	case b[0] == 0xcc && len(b) > 1:
		return int64(b[1])
	case b[0] == 0xcd && len(b) > 2:
		return int64(b[1])<<8 | int64(b[2])
	case b[0] == 0xce && len(b) > 4:
		return int64(b[1])<<24 | int64(b[2])<<16 | int64(b[3])<<8 | int64(b[4])
	}
	return -1
}

func (c *client) close() {
	if c.tcp != nil {
		c.tcp.Close()
	}
	if c.ws != nil {
		c.ws.closeNow()
	}
	if c.poll != nil {
		c.poll.close()
	}
}
