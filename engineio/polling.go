package engineio

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// poll answers a long-polling GET: at once with everything queued, or when
// something is queued, or with noop while the session upgrades.
func (s *Server) poll(w http.ResponseWriter, r *http.Request, ss *Session) {
	ss.mu.Lock()
	if ss.getActive {
		ss.mu.Unlock()
		// A second concurrent GET breaks the protocol: close the session;
		// the pending GET answers with a close packet.
		ss.close(ReasonTransportError, errors.New("engineio: overlapping GET requests"))
		s.refuse(w, r, false, CodeBadRequest, "")
		return
	}
	if ss.closed && !ss.lingering {
		ss.mu.Unlock()
		s.refuse(w, r, false, CodeUnknownSID, "")
		return
	}
	// A poll that arrives while an upgrade is under way is held for a short
	// while, as Node holds it (it answers a pending poll with noop every
	// 100 ms): the client's "5" may be on its way over the WebSocket, and
	// after it this poll must get 400.
	var hold <-chan time.Time
	if ss.upgrading {
		t := time.NewTimer(upgradePollHold)
		defer t.Stop()
		hold = t.C
	}
	ss.getActive = true
	ss.mu.Unlock()

	for {
		ss.mu.Lock()
		var frames []Frame
		last := false // the session's final answer: forget it
		switch {
		case ss.closed:
			frames, last = ss.closedFrames()
			if last {
				ss.lingering = false
			}
		case ss.transport != TransportPolling && hold != nil:
			ss.getActive = false
			ss.mu.Unlock()
			s.refuse(w, r, false, CodeBadRequest, "")
			return
		case ss.upgrading && hold != nil:
			// wait for the upgrade's outcome or the hold's end
		case ss.transport != TransportPolling || ss.upgrading:
			frames = []Frame{noopFrame}
		case len(ss.queue) > 0:
			frames = ss.takeQueue()
		}
		if frames != nil {
			ss.getActive = false
			ss.mu.Unlock()
			if last {
				s.forget(ss)
			}
			s.writePayload(w, r, frames)
			return
		}
		ss.mu.Unlock()
		select {
		case <-ss.pollWake:
		case <-hold:
			hold = nil
		case <-r.Context().Done():
			ss.mu.Lock()
			ss.getActive = false
			ss.mu.Unlock()
			ss.close(ReasonTransportError, errors.New("engineio: poll request aborted"))
			return
		}
	}
}

// post handles a polling POST: every packet in the body is processed (and
// the handler has run for each message) before "ok" is answered.
func (s *Server) post(w http.ResponseWriter, r *http.Request, ss *Session) {
	ss.mu.Lock()
	if ss.postBusy {
		ss.mu.Unlock()
		ss.close(ReasonTransportError, errors.New("engineio: overlapping POST requests"))
		s.refuse(w, r, false, CodeBadRequest, "")
		return
	}
	if ss.closed {
		lingering := ss.lingering
		ss.mu.Unlock()
		if lingering { // the client has not seen the close packet yet
			s.writeOK(w, r)
		} else {
			s.refuse(w, r, false, CodeUnknownSID, "")
		}
		return
	}
	ss.postBusy = true
	ss.mu.Unlock()
	defer func() {
		ss.mu.Lock()
		ss.postBusy = false
		ss.mu.Unlock()
	}()

	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/octet-stream") {
		ss.close(ReasonTransportError, errors.New("engineio: binary POST bodies are not Engine.IO v4"))
		s.refuse(w, r, false, CodeBadRequest, "")
		return
	}
	limit := int64(s.opts.MaxHTTPBufferSize)
	if r.ContentLength > limit {
		s.tooLarge(w, r, ss)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		ss.close(ReasonTransportError, fmt.Errorf("engineio: reading POST body: %w", err))
		s.refuse(w, r, false, CodeBadRequest, "")
		return
	}
	if int64(len(body)) > limit {
		s.tooLarge(w, r, ss)
		return
	}
	// The body is text: invalid UTF-8 becomes U+FFFD, as in Node, and is
	// never passed on (in a WebSocket text frame it fails the receiver).
	err = DecodePayload(replaceInvalidUTF8(body), func(p Packet) error {
		ss.onPacket(p)
		return nil
	})
	if err != nil {
		ss.close(ReasonParseError, err)
		s.refuse(w, r, false, CodeBadRequest, "")
		return
	}
	s.writeOK(w, r)
}

// writeOK answers a POST whose packets were taken.
func (s *Server) writeOK(w http.ResponseWriter, r *http.Request) {
	s.setCORSHeaders(w, r)
	h := w.Header()
	h.Set("Content-Type", "text/html")
	h.Set("Content-Length", "2")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, "ok")
}

// tooLarge answers 413 to a POST over MaxHTTPBufferSize and closes the
// session: the message is lost, so the client must start over.
func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request, ss *Session) {
	ss.close(ReasonTransportError, errors.New("engineio: POST body over maxHttpBufferSize"))
	s.setCORSHeaders(w, r)
	w.Header().Set("Connection", "close")
	http.Error(w, "Payload Too Large", http.StatusRequestEntityTooLarge)
}

// upgradePollHold is how long a poll arriving during an upgrade waits for
// the upgrade's outcome before it gets a noop.
const upgradePollHold = 100 * time.Millisecond

var payloadPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writePayload writes frames as one polling response, compressed when the
// client accepts it and the body is over the threshold.
func (s *Server) writePayload(w http.ResponseWriter, r *http.Request, frames []Frame) {
	buf := payloadPool.Get().(*bytes.Buffer)
	defer payloadPool.Put(buf)
	buf.Reset()
	buf.Write(AppendPayload(buf.AvailableBuffer(), frames...))
	defer s.boundWrite(w, r)()

	s.setCORSHeaders(w, r)
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	if t := s.opts.CompressionThreshold; t >= 0 && buf.Len() >= t && compressible(frames) {
		if enc := acceptedEncoding(r.Header.Get("Accept-Encoding")); enc != "" {
			h.Set("Content-Encoding", enc)
			h.Add("Vary", "Accept-Encoding")
			w.WriteHeader(http.StatusOK)
			var zw io.WriteCloser
			if enc == "gzip" {
				zw = gzip.NewWriter(w)
			} else {
				zw, _ = flate.NewWriter(w, flate.DefaultCompression)
			}
			_, _ = zw.Write(buf.Bytes())
			_ = zw.Close()
			return
		}
	}
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// boundWrite bounds the writing of a polling response by a deadline of
// PingInterval + PingTimeout, unless the http.Server has a WriteTimeout of
// its own, and returns the function that lifts it (the connection may serve
// a later poll that waits longer). A client that takes longer to read a
// response has lost its session anyway: a ping waits for its pong at most
// that long. Without it, a peer that sends a GET and never reads the
// response would hold the request's goroutine and the payload (up to
// WriteQueueSize) for as long as it keeps the TCP connection open, after
// the session's end too. (With HTTP compression net/http writes the last
// chunk after the handler: a few bytes, on a connection that the
// http.Server's own timeouts govern.)
func (s *Server) boundWrite(w http.ResponseWriter, r *http.Request) func() {
	if hs, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && hs.WriteTimeout > 0 {
		return func() {}
	}
	rc := http.NewResponseController(w)
	if rc.SetWriteDeadline(time.Now().Add(s.opts.PingInterval+s.opts.PingTimeout)) != nil {
		return func() {}
	}
	return func() {
		// What net/http still buffers goes out under the deadline too.
		_ = rc.Flush()
		_ = rc.SetWriteDeadline(time.Time{})
	}
}

// compressible reports whether no frame asks not to be compressed.
func compressible(frames []Frame) bool {
	for _, f := range frames {
		if f.NoCompress {
			return false
		}
	}
	return true
}

// acceptedEncoding picks gzip or deflate from an Accept-Encoding header.
func acceptedEncoding(accept string) string {
	best := ""
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.Contains(strings.ReplaceAll(params, " ", ""), "q=0") && !strings.Contains(params, "q=0.") {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "gzip":
			return "gzip"
		case "deflate":
			best = "deflate"
		}
	}
	return best
}
