package engineio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// A Session is one Engine.IO connection on the server side. It implements Conn.
type Session struct {
	srv     *Server
	id      string
	req     *http.Request // the handshake request, without its body
	handler Handler

	// dispatch serializes calls to handler and orders HandleClose last.
	dispatch sync.Mutex

	mu        sync.Mutex
	transport Transport
	upgrading bool // a WebSocket probe succeeded; polling GETs get noop
	closed    bool
	reason    CloseReason
	closeErr  error
	queue     []Frame
	queued    int           // bytes in queue
	wake      chan struct{} // wakes the WebSocket writer: frames queued or state changed
	pollWake  chan struct{} // wakes a pending poll, likewise
	getActive bool          // a polling GET is pending
	postBusy  bool          // a polling POST is being processed
	probing   bool          // a WebSocket is being probed for an upgrade
	wsc       wsConn        // the WebSocket, once the session is on one
	timer     *time.Timer
	timerGen  uint64
	waitPong  bool
	lingering bool // closed by this side; a final poll may still collect the queue

	ctx    context.Context // canceled when the session ends
	cancel context.CancelFunc
	done   chan struct{} // closed after HandleClose returned and transports ended
	wg     sync.WaitGroup
}

// ID returns the session id.
func (s *Session) ID() string { return s.id }

// Transport returns the transport in use now.
func (s *Session) Transport() Transport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.transport
}

// Request returns the handshake request: its URL, headers, remote address
// and TLS state. Its body is empty and its context is not canceled.
func (s *Session) Request() *http.Request { return s.req }

// Done returns a channel closed once the session has ended and its close has
// been delivered to the handler.
func (s *Session) Done() <-chan struct{} { return s.done }

// Send queues frames for the peer. See Conn.
func (s *Session) Send(frames ...Frame) error { return s.enqueue(false, frames) }

// SendVolatile queues frames that may be dropped. See Conn.
func (s *Session) SendVolatile(frames ...Frame) error { return s.enqueue(true, frames) }

// Close ends the session with ReasonForcedClose: queued frames and a close
// packet are still delivered when the transport allows.
func (s *Session) Close() error {
	s.close(ReasonForcedClose, nil)
	return nil
}

func (s *Session) enqueue(volatile bool, frames []Frame) error {
	size := 0
	for _, f := range frames {
		size += payloadLen(f) + 1
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if out := s.wsc.out; out != nil {
		s.mu.Unlock()
		return s.writeDirect(out, volatile, frames)
	}
	if s.queued > 0 && s.queued+size > s.srv.opts.WriteQueueSize {
		s.mu.Unlock()
		if !volatile {
			s.close(ReasonWriteQueueFull, ErrQueueFull)
		}
		return ErrQueueFull
	}
	s.queue = appendKept(s.queue, frames)
	s.queued += size
	s.mu.Unlock()
	s.signal()
	return nil
}

// writeDirect writes frames to a WebSocket from the sender's goroutine.
func (s *Session) writeDirect(out *wsNetConn, volatile bool, frames []Frame) error {
	err := out.writeFrames(frames, true)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrQueueFull):
		if !volatile {
			s.close(ReasonWriteQueueFull, ErrQueueFull)
		}
		return ErrQueueFull
	default:
		s.close(ReasonTransportError, fmt.Errorf("engineio: websocket write: %w", err))
		return ErrClosed
	}
}

// signal wakes the writers without blocking.
func (s *Session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
	select {
	case s.pollWake <- struct{}{}:
	default:
	}
}

// takeQueue removes and returns every queued frame. s.mu must be held.
func (s *Session) takeQueue() []Frame {
	q := s.queue
	s.queue = nil
	s.queued = 0
	return q
}

// deliver passes one message to the handler, unless the session has ended.
func (s *Session) deliver(data []byte, binary bool) {
	s.dispatch.Lock()
	defer s.dispatch.Unlock()
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if !closed {
		s.handler.HandleMessage(data, binary)
	}
}

// onPacket handles one packet from the peer on the active transport.
func (s *Session) onPacket(p Packet) {
	switch p.Type {
	case PacketMessage:
		s.deliver(p.Data, p.Binary)
	case PacketPong:
		s.mu.Lock()
		if s.waitPong && !s.closed {
			s.waitPong = false
			s.armTimer(s.srv.opts.PingInterval)
		}
		s.mu.Unlock()
	case PacketPing:
		s.close(ReasonTransportError, errors.New("engineio: invalid heartbeat direction"))
	case PacketClose:
		s.close(ReasonTransportClose, nil)
	default:
		// open, upgrade and noop from a client carry nothing; Node ignores them too.
	}
}

// armTimer (re)starts the heartbeat timer. s.mu must be held.
func (s *Session) armTimer(d time.Duration) {
	if s.timer != nil {
		s.timer.Stop()
	}
	s.timerGen++
	gen := s.timerGen
	s.timer = time.AfterFunc(d, func() { s.onTimer(gen) })
}

// onTimer sends a ping, or closes the session when the last ping was not answered.
func (s *Session) onTimer(gen uint64) {
	s.mu.Lock()
	if s.closed || gen != s.timerGen {
		s.mu.Unlock()
		return
	}
	if s.waitPong {
		s.mu.Unlock()
		s.close(ReasonPingTimeout, nil)
		return
	}
	s.waitPong = true
	s.armTimer(s.srv.opts.PingTimeout)
	if out := s.wsc.out; out != nil {
		s.mu.Unlock()
		_ = s.writeDirect(out, false, []Frame{pingFrame})
		return
	}
	s.queue = append(s.queue, pingFrame)
	s.queued += 2
	s.mu.Unlock()
	s.signal()
}

// closeGrace bounds how long a graceful close waits for a WebSocket peer.
const closeGrace = 5 * time.Second

var (
	pingFrame  = Frame{Data: []byte{byte(PacketPing)}}
	closeFrame = Frame{Data: []byte{byte(PacketClose)}}
	noopFrame  = Frame{Data: []byte{byte(PacketNoop)}}
)

// close ends the session once; later calls do nothing. The handler learns of
// it after any message it is handling. What is queued still goes out with a
// close packet when the transport can take it: at once over WebSocket or to a
// pending poll; otherwise a poll arriving within a short grace time collects
// it.
func (s *Session) close(reason CloseReason, err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.reason = reason
	s.closeErr = err
	if s.timer != nil {
		s.timer.Stop()
	}
	// A polling session this side closes stays registered until a final poll
	// has collected its queue and the close packet (a pending poll does so at
	// once); a POST crossing that poll is acknowledged, not refused.
	// Likewise when the client closed it by POST: the GET it sent alongside
	// may be processed after the POST, and must get its noop, not a 400.
	linger := s.transport == TransportPolling && (reason == ReasonForcedClose || reason == ReasonTransportClose)
	s.lingering = linger
	wsc := s.wsc
	s.mu.Unlock()
	s.signal()
	switch {
	case !wsc.ok():
	case reason == ReasonForcedClose:
		// What is written or queued goes out before the close frame (which
		// the library's writer goroutine sends itself); the reader closes
		// the socket on the peer's answer, or this timer does, which bounds
		// a stuck peer.
		if wsc.out != nil {
			wsc.out.writeClose(closeNormal, "")
		}
		time.AfterFunc(closeGrace, wsc.closeNow)
	default:
		wsc.closeNow()
	}

	if linger {
		time.AfterFunc(s.srv.opts.PingTimeout, s.endLinger)
	} else {
		s.srv.forget(s)
	}
	if err != nil && reason != ReasonForcedClose {
		s.srv.opts.Logger.Debug("engineio: session closed", "sid", s.id, "reason", string(reason), "err", err)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.dispatch.Lock()
		s.handler.HandleClose(reason, err)
		s.dispatch.Unlock()
	}()
	go func() {
		s.wg.Wait()
		s.cancel()
		close(s.done)
		s.srv.all.Done()
	}()
}

// endLinger forgets a closed polling session whose final poll never came.
func (s *Session) endLinger() {
	s.mu.Lock()
	was := s.lingering
	s.lingering = false
	s.queue = nil
	s.mu.Unlock()
	if was {
		s.srv.forget(s)
	}
}

// closedFrames returns what a poll answers once the session is closed, and
// whether it is the last answer: noop when the client asked to close;
// after a close by this side (which lingers), the queue, if any, and close
// in the poll after it, as Node sends them. A client reads the packets of
// one payload before it handles the Socket.IO packets among them, so a
// close packet in the same payload would overtake them: a DISCONNECT before
// it would surface as "transport close" (and a reconnection) before "io
// server disconnect". A session closed by an error is already forgotten:
// the pending poll gets the queue and close together. s.mu must be held.
func (s *Session) closedFrames() (frames []Frame, last bool) {
	if s.reason == ReasonTransportClose {
		return []Frame{noopFrame}, true
	}
	if len(s.queue) > 0 && s.lingering {
		return s.takeQueue(), false
	}
	return append(s.takeQueue(), closeFrame), true
}

// String describes the session for logs.
func (s *Session) String() string { return fmt.Sprintf("engineio.Session(%s)", s.id) }
