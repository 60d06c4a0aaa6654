package engineio

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/siogen/siogen/internal/wallclock"
)

// DialOptions configures Dial. A nil *DialOptions, like the zero value, means
// the defaults.
type DialOptions struct {
	// HTTPClient makes the polling requests and the WebSocket handshakes. Nil
	// means http.DefaultClient. Its Timeout, if any, must be longer than the
	// server's ping interval, since a long-polling GET lasts that long.
	HTTPClient *http.Client

	// Header holds extra headers sent with every request (polling requests and
	// WebSocket handshakes).
	Header http.Header

	// Query holds extra query parameters sent with every request. EIO,
	// transport and sid are set by the client and cannot be overridden.
	Query url.Values

	// Path is the Engine.IO endpoint on the server. When empty, the path of
	// the URL passed to Dial is used, or "/engine.io/" when that is empty or
	// "/". A trailing slash is added when missing, as engine.io-client does.
	Path string

	// Transports lists the transports the client may use, the first one for
	// the handshake. Nil means {TransportPolling, TransportWebSocket}: open
	// with long-polling, then upgrade to WebSocket when the server offers it.
	// {TransportWebSocket} opens directly over WebSocket; {TransportPolling}
	// never upgrades.
	Transports []Transport

	// NoUpgrade keeps the connection on long-polling even when the server
	// offers an upgrade and Transports allows WebSocket.
	NoUpgrade bool

	// WriteQueueBytes bounds the bytes of frames queued by Send and not yet
	// written. A single message (the frames of one Send call) bigger than
	// the bound is refused with ErrMessageTooLarge, and the connection stays
	// open. Zero means 8 MiB.
	WriteQueueBytes int

	// ReadLimit is the size of the largest message the client accepts from
	// the server, in bytes of message data: a WebSocket message (without the
	// packet type of a text message), or one message packet of a long-polling
	// response. A bigger one ends the connection with ReasonTransportError
	// and an error wrapping ErrMessageTooLarge. A long-polling response body,
	// which may hold many messages, is bounded by twice ReadLimit or 64 MiB,
	// whichever is more. Zero means 64 MiB; a negative value means no limit.
	ReadLimit int64
}

// ErrMessageTooLarge is returned by Send and SendVolatile for a message
// bigger than the write queue's bound (DialOptions.WriteQueueBytes); the
// connection stays open. An incoming message bigger than
// DialOptions.ReadLimit ends the connection with an error wrapping it.
var ErrMessageTooLarge = errors.New("engineio: message too large")

// A HandshakeError is returned by Dial when the server refused the
// handshake with an HTTP error, for instance {"code":0,"message":"Transport
// unknown"} with status 400.
type HandshakeError struct {
	// StatusCode is the HTTP status of the refusal.
	StatusCode int
	// Code is the Engine.IO error code of the JSON body (0 "Transport unknown",
	// 1 "Session ID unknown", 2 "Bad handshake method", 3 "Bad request",
	// 4 "Forbidden", 5 "Unsupported protocol version"), or -1 when the body
	// was not such a JSON object.
	Code int
	// Message is the message of the JSON body, or the start of the body as
	// text when it was not JSON.
	Message string
}

// Error implements error.
func (e *HandshakeError) Error() string {
	if e.Code < 0 {
		if e.Message == "" {
			return fmt.Sprintf("engineio: handshake refused: HTTP %d", e.StatusCode)
		}
		return fmt.Sprintf("engineio: handshake refused: HTTP %d: %s", e.StatusCode, e.Message)
	}
	return fmt.Sprintf("engineio: handshake refused: HTTP %d: code %d: %s", e.StatusCode, e.Code, e.Message)
}

// Defaults of DialOptions.
const (
	dialDefaultPath       = "/engine.io/"
	dialDefaultQueueBytes = 8 << 20
	dialDefaultReadLimit  = 64 << 20
)

// Timeouts of the client's own steps.
var (
	// clientProbeTimeout bounds the upgrade probe (WebSocket handshake, 2probe,
	// 3probe) and the wait for the long-poll to pause; when either takes
	// longer the upgrade is given up and the connection stays on
	// long-polling. Node's upgradeTimeout is 10 s.
	clientProbeTimeout = 10 * time.Second
	// clientCloseTimeout bounds a graceful close: from Close, the flush of
	// the queue, the close packet and the WebSocket closing handshake. When
	// it passes (a peer that stopped reading, a network partition), the
	// connection's context is cancelled, which ends every write and read.
	clientCloseTimeout = 5 * time.Second
)

// A Client is an Engine.IO v4 connection to a server, made by Dial. It
// implements Conn. Its methods are safe for concurrent use.
type Client struct {
	h          Handler
	httpc      *http.Client
	header     http.Header
	base       *url.URL
	readLimit  int64
	queueLimit int

	// Handshake values, set before Dial returns.
	sid          string
	upgrades     []string
	pingInterval time.Duration
	pingTimeout  time.Duration
	maxPayload   int
	pollURL      string // polling URL with the sid

	// ctx ends all I/O of the connection; cancel is called when it ends.
	ctx    context.Context
	cancel context.CancelFunc

	// now reads the wall clock: time.Now, unless a test put another one in
	// Dial's context (internal/wallclock). See clientResetPingTimeout.
	now func() time.Time

	mu            sync.Mutex
	queue         []Frame
	queueBytes    int
	closing       bool        // no more Send; clientRun is ending
	graceful      bool        // Close was called: flush and send a close packet
	reason        CloseReason // why, set with closing
	reasonErr     error
	transport     Transport
	wake          chan struct{} // capacity 1: the queue is not empty
	closingCh     chan struct{} // closed with closing
	done          chan struct{} // closed after HandleClose returned
	watchdog      *time.Timer
	closeTimer    *time.Timer          // bounds a graceful close; set by Close
	closeTimedOut time.Duration        // closeTimer's, once it fired (guarded by mu)
	room          chan struct{}        // made by WaitQueue, closed when the queue shrinks
	upgradeCh     chan *websocket.Conn // a probed WebSocket, from clientProbe to clientRun
	pollPause     bool                 // the poll loop stops after its current GET (guarded by mu)
	pollStopped   bool                 // it saw pollPause and stops (guarded by mu)
	writing       bool                 // clientRun writes a batch (guarded by mu)
	upgrading     bool                 // clientFinishUpgrade pauses the writes (guarded by mu)
	pollDone      chan struct{}        // closed when the poll loop ended
	readers       sync.WaitGroup       // poll loop, WebSocket reader, probe

	ws      *websocket.Conn // the WebSocket in use, owned by clientRun
	pending []Packet        // packets that came with the open packet

	// pingDeadline is when watchdog is due, by the wall clock; see
	// clientResetPingTimeout (guarded by mu).
	pingDeadline time.Time

	// dialTestNoPong makes the client leave pings unanswered (tests only).
	dialTestNoPong atomic.Bool
}

var _ Conn = (*Client)(nil)

// dialOpen is the JSON of the open packet.
type dialOpen struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int64    `json:"pingInterval"`
	PingTimeout  int64    `json:"pingTimeout"`
	MaxPayload   int64    `json:"maxPayload"`
}

// Dial opens an Engine.IO connection to the server at rawURL (an http, https,
// ws or wss URL) and returns once the server's open packet has arrived. ctx
// bounds the handshake only; the connection lives until it is closed by
// either side or fails.
//
// h receives the messages and the end of the connection, from another
// goroutine, possibly before Dial returns. When the server refuses the
// handshake with an HTTP error, the error is a *HandshakeError.
func Dial(ctx context.Context, rawURL string, h Handler, opts *DialOptions) (*Client, error) {
	if h == nil {
		return nil, errors.New("engineio: Dial with a nil Handler")
	}
	var o DialOptions
	if opts != nil {
		o = *opts
	}
	transports := o.Transports
	if len(transports) == 0 {
		transports = []Transport{TransportPolling, TransportWebSocket}
	}
	for _, t := range transports {
		if t != TransportPolling && t != TransportWebSocket {
			return nil, fmt.Errorf("engineio: unknown transport %q", t)
		}
	}
	base, err := dialBaseURL(rawURL, o.Path, o.Query)
	if err != nil {
		return nil, err
	}
	c := &Client{
		h:          h,
		httpc:      o.HTTPClient,
		header:     o.Header,
		base:       base,
		readLimit:  o.ReadLimit,
		queueLimit: o.WriteQueueBytes,
		transport:  transports[0],
		wake:       make(chan struct{}, 1),
		closingCh:  make(chan struct{}),
		done:       make(chan struct{}),
		upgradeCh:  make(chan *websocket.Conn),
		pollDone:   make(chan struct{}),
		now:        wallclock.Now(ctx),
	}
	if c.httpc == nil {
		c.httpc = http.DefaultClient
	}
	if c.readLimit == 0 {
		c.readLimit = dialDefaultReadLimit
	}
	if c.queueLimit <= 0 {
		c.queueLimit = dialDefaultQueueBytes
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())

	// The handshake runs on c.ctx, which ctx cancels until it is done.
	stop := context.AfterFunc(ctx, c.cancel)
	if transports[0] == TransportWebSocket {
		err = c.dialWebSocket()
	} else {
		err = c.dialPolling()
	}
	if !stop() && err == nil {
		err = ctx.Err() // ctx ended just as the handshake succeeded
	}
	if err != nil {
		c.cancel()
		if c.ws != nil {
			c.ws.CloseNow()
		}
		if c.ctx.Err() != nil && ctx.Err() != nil && !errors.As(err, new(*HandshakeError)) {
			err = fmt.Errorf("engineio: dial: %w", ctx.Err())
		}
		return nil, err
	}
	if c.transport == TransportPolling {
		c.pollURL = c.clientURL(TransportPolling, true)
	} else {
		close(c.pollDone)
	}

	c.clientResetPingTimeout()
	if c.transport == TransportPolling {
		c.readers.Add(1)
		go c.clientPollLoop()
		if !o.NoUpgrade && slices.Contains(transports, TransportWebSocket) &&
			slices.Contains(c.upgrades, string(TransportWebSocket)) {
			c.readers.Add(1)
			go c.clientProbe()
		}
	} else {
		c.readers.Add(1)
		go c.clientWSReadLoop(c.ws)
	}
	go c.clientRun()
	return c, nil
}

// dialBaseURL returns the endpoint URL without the Engine.IO query parameters.
func dialBaseURL(rawURL, path string, query url.Values) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("engineio: bad URL: %w", err)
	}
	switch u.Scheme {
	case "http", "https":
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	default:
		return nil, fmt.Errorf("engineio: bad URL %q: scheme must be http, https, ws or wss", rawURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("engineio: bad URL %q: no host", rawURL)
	}
	if path == "" {
		path = u.Path
		if path == "" || path == "/" {
			path = dialDefaultPath
		}
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	u.Path, u.RawPath, u.Fragment, u.RawFragment = path, "", "", ""
	q := u.Query()
	for k, vs := range query {
		q[k] = append(q[k], vs...)
	}
	q.Del("EIO")
	q.Del("transport")
	q.Del("sid")
	u.RawQuery = q.Encode()
	return u, nil
}

// clientURL returns the URL of a request over transport t.
func (c *Client) clientURL(t Transport, withSID bool) string {
	u := *c.base
	q := c.base.Query()
	q.Set("EIO", "4")
	q.Set("transport", string(t))
	if withSID {
		q.Set("sid", c.sid)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// clientRequest builds a request with the user's headers.
func (c *Client) clientRequest(ctx context.Context, method, u string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range c.header {
		req.Header[k] = append(req.Header[k], vs...)
	}
	return req, nil
}

// dialHandshakeError reads the body of a refused handshake.
func dialHandshakeError(status int, body io.Reader) *HandshakeError {
	b, _ := io.ReadAll(io.LimitReader(body, 4096))
	e := &HandshakeError{StatusCode: status, Code: -1}
	var j struct {
		Code    *int   `json:"code"`
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &j) == nil && j.Code != nil {
		e.Code, e.Message = *j.Code, j.Message
	} else {
		e.Message = strings.TrimSpace(strings.ToValidUTF8(string(b), "\uFFFD"))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200]
		}
	}
	return e
}

// clientParseOpen reads the open packet's data.
func (c *Client) clientParseOpen(p Packet) error {
	if p.Type != PacketOpen || p.Binary {
		return fmt.Errorf("%w: handshake: expected an open packet, got %s", ErrParse, p.Type)
	}
	var o dialOpen
	if err := json.Unmarshal(p.Data, &o); err != nil {
		return fmt.Errorf("%w: handshake: bad open packet: %v", ErrParse, err)
	}
	// A missing, zero or negative pingInterval or pingTimeout would leave the
	// connection without a heartbeat: a dead peer would go unnoticed.
	if o.SID == "" || o.PingInterval <= 0 || o.PingTimeout <= 0 || o.MaxPayload < 0 ||
		o.PingInterval > 1<<40 || o.PingTimeout > 1<<40 {
		return fmt.Errorf("%w: handshake: bad open packet %q", ErrParse, p.Data)
	}
	c.sid = o.SID
	c.upgrades = o.Upgrades
	c.pingInterval = time.Duration(o.PingInterval) * time.Millisecond
	c.pingTimeout = time.Duration(o.PingTimeout) * time.Millisecond
	c.maxPayload = int(min(o.MaxPayload, 1<<30))
	return nil
}

// dialPolling performs the handshake over long-polling.
func (c *Client) dialPolling() error {
	req, err := c.clientRequest(c.ctx, http.MethodGet, c.clientURL(TransportPolling, false), nil)
	if err != nil {
		return fmt.Errorf("engineio: dial: %w", err)
	}
	resp, err := c.httpc.Do(req)
	if err != nil {
		return fmt.Errorf("engineio: dial: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return dialHandshakeError(resp.StatusCode, resp.Body)
	}
	body, err := c.clientReadBody(resp.Body)
	if err != nil {
		return fmt.Errorf("engineio: dial: %w", err)
	}
	first := true
	err = DecodePayload(body, func(p Packet) error {
		if first {
			first = false
			return c.clientParseOpen(p)
		}
		c.pending = append(c.pending, p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("engineio: dial: %w", err)
	}
	return nil
}

// clientDialWS opens a WebSocket to the server, with the sid when withSID.
func (c *Client) clientDialWS(ctx context.Context, withSID bool) (*websocket.Conn, error) {
	ws, resp, err := websocket.Dial(ctx, c.clientURL(TransportWebSocket, withSID), &websocket.DialOptions{
		HTTPClient: c.httpc,
		HTTPHeader: c.header,
	})
	if err != nil {
		if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols && resp.Body != nil {
			return nil, dialHandshakeError(resp.StatusCode, resp.Body)
		}
		return nil, err
	}
	ws.SetReadLimit(-1) // clientWSRead applies c.readLimit
	return ws, nil
}

// clientWSRead reads one WebSocket message of at most c.readLimit bytes of
// message data.
func (c *Client) clientWSRead(ctx context.Context, ws *websocket.Conn) (websocket.MessageType, []byte, error) {
	typ, r, err := ws.Reader(ctx)
	if err != nil {
		return 0, nil, err
	}
	if c.readLimit < 0 {
		data, err := io.ReadAll(r)
		return typ, data, err
	}
	limit := c.readLimit
	if typ == websocket.MessageText {
		limit++ // the packet type
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err == nil && int64(len(data)) > limit {
		err = c.clientTooLarge()
	}
	return typ, data, err
}

// clientTooLarge is the error of a message bigger than the read limit.
func (c *Client) clientTooLarge() error {
	return fmt.Errorf("%w: the server sent a message bigger than the read limit of %d bytes", ErrMessageTooLarge, c.readLimit)
}

// dialWebSocket performs the handshake over WebSocket.
func (c *Client) dialWebSocket() error {
	ws, err := c.clientDialWS(c.ctx, false)
	if err != nil {
		if _, ok := err.(*HandshakeError); ok {
			return err
		}
		return fmt.Errorf("engineio: dial: %w", err)
	}
	c.ws = ws
	typ, data, err := c.clientWSRead(c.ctx, ws)
	if err != nil {
		return fmt.Errorf("engineio: dial: %w", err)
	}
	if typ != websocket.MessageText {
		return fmt.Errorf("engineio: dial: %w: handshake: expected an open packet, got a binary message", ErrParse)
	}
	p, err := DecodePacket(data)
	if err == nil {
		err = c.clientParseOpen(p)
	}
	if err != nil {
		return fmt.Errorf("engineio: dial: %w", err)
	}
	return nil
}

// clientReadBody reads a long-polling response body within its bound: twice
// the read limit (a binary message travels in base64) or
// dialDefaultReadLimit, whichever is more. The limit of each message is
// checked by clientHandlePacket.
func (c *Client) clientReadBody(r io.Reader) ([]byte, error) {
	if c.readLimit < 0 {
		return io.ReadAll(r)
	}
	bound := max(2*min(c.readLimit, 1<<61), dialDefaultReadLimit)
	b, err := io.ReadAll(io.LimitReader(r, bound+1))
	if err == nil && int64(len(b)) > bound {
		err = fmt.Errorf("%w: response body larger than %d bytes", ErrMessageTooLarge, bound)
	}
	return b, err
}

// ID returns the Engine.IO session id.
func (c *Client) ID() string { return c.sid }

// Transport returns the transport in use now.
func (c *Client) Transport() Transport {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.transport
}

// PingInterval returns the server's ping interval, from the handshake.
func (c *Client) PingInterval() time.Duration { return c.pingInterval }

// PingTimeout returns the server's ping timeout, from the handshake.
func (c *Client) PingTimeout() time.Duration { return c.pingTimeout }

// MaxPayload returns the largest payload, in bytes, the server accepts in one
// long-polling request (its maxHttpBufferSize), from the handshake. Zero
// means no limit.
func (c *Client) MaxPayload() int { return c.maxPayload }

// Upgrades returns the transports the server offered to upgrade to, from the
// handshake.
func (c *Client) Upgrades() []Transport {
	out := make([]Transport, len(c.upgrades))
	for i, u := range c.upgrades {
		out[i] = Transport(u)
	}
	return out
}

// Done returns a channel that is closed once the connection has ended and
// HandleClose has returned.
func (c *Client) Done() <-chan struct{} { return c.done }

// Closing returns a channel that is closed once the connection begins to
// end: Close was called, or the transport failed. The connection ends only
// after HandleMessage returned, so a Handler that blocks in HandleMessage
// (to hold the server back while it catches up) should return when it is
// closed.
func (c *Client) Closing() <-chan struct{} { return c.closingCh }

// Send queues frames to be written in order, all or none. See Conn.Send. A
// text frame must start with a packet type digit (see TextFrame and
// ControlFrame); otherwise Send fails with an error wrapping ErrParse and the
// connection stays open. Frames that together exceed
// DialOptions.WriteQueueBytes can never fit in the queue: Send fails with an
// error wrapping ErrMessageTooLarge and the connection stays open.
func (c *Client) Send(frames ...Frame) error { return c.clientEnqueue(frames, false) }

// SendVolatile is Send for frames that may be dropped when the queue is full.
// See Conn.SendVolatile. It queues them also when the transport is not
// Writable (they are written after what is being written); a caller that
// would rather drop them then checks Writable first.
func (c *Client) SendVolatile(frames ...Frame) error { return c.clientEnqueue(frames, true) }

func (c *Client) clientEnqueue(frames []Frame, volatile bool) error {
	n := 0
	for _, f := range frames {
		if !f.Binary && (len(f.Data) == 0 || !PacketType(f.Data[0]).Valid()) {
			return fmt.Errorf("%w: text frame without a packet type", ErrParse)
		}
		n += len(f.Data)
	}
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return ErrClosed
	}
	if n > c.queueLimit {
		c.mu.Unlock()
		return fmt.Errorf("%w: %d bytes, the write queue holds at most %d", ErrMessageTooLarge, n, c.queueLimit)
	}
	if c.queueBytes+n > c.queueLimit {
		c.mu.Unlock()
		if !volatile {
			c.clientFail(ReasonWriteQueueFull, ErrQueueFull)
		}
		return ErrQueueFull
	}
	c.queue = appendKept(c.queue, frames)
	c.queueBytes += n
	c.mu.Unlock()
	c.clientWake()
	return nil
}

// Writable reports whether the transport would write a message at once,
// as engine.io-client's transport.writable, which socket.io-client checks
// before a volatile emit: the connection is open (not closing), nothing is
// being written (over long-polling, no POST is in flight; over WebSocket,
// no write is under way) or queued to be, and no upgrade to WebSocket
// holds the writes while the long-poll pauses. A message sent while it is
// false waits for those writes; one that may as well be lost can be
// dropped instead. The state may change as soon as it returns.
func (c *Client) Writable() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.closing && !c.writing && !c.upgrading && len(c.queue) == 0
}

// Queued returns the bytes of the frames queued by Send and not yet taken
// to be written.
func (c *Client) Queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.queueBytes
}

// WaitQueue waits until frames of n bytes in all fit in the write queue
// beside those already queued, so that Send queues them instead of closing
// the connection for an overflow (they may not fit any more when another
// goroutine sends first). It returns nil then, ctx's error when ctx ends
// first, ErrClosed once the connection is closing, and ErrMessageTooLarge
// when n is more than DialOptions.WriteQueueBytes.
func (c *Client) WaitQueue(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		switch {
		case c.closing:
			c.mu.Unlock()
			return ErrClosed
		case n > c.queueLimit:
			c.mu.Unlock()
			return fmt.Errorf("%w: %d bytes, the write queue holds at most %d", ErrMessageTooLarge, n, c.queueLimit)
		case c.queueBytes+n <= c.queueLimit:
			c.mu.Unlock()
			return nil
		}
		if c.room == nil {
			c.room = make(chan struct{})
		}
		room := c.room
		c.mu.Unlock()
		select {
		case <-room:
		case <-c.closingCh:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// clientSendControl queues a control frame, outside the queue bound.
func (c *Client) clientSendControl(f Frame) {
	c.mu.Lock()
	if c.closing && !c.graceful {
		c.mu.Unlock()
		return
	}
	c.queue = append(c.queue, f)
	c.queueBytes += len(f.Data)
	c.mu.Unlock()
	c.clientWake()
}

func (c *Client) clientWake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Close ends the connection with ReasonForcedClose: the frames already queued
// and a close packet are written, then the transport is closed. That takes
// at most a few seconds: when the transport cannot write (the server stopped
// reading, the network is partitioned) or fails meanwhile, the connection is
// torn down at once or when the bound passes, and the unwritten frames are
// lost. Close does not wait for that; Done says when it is over. It is safe
// to call more than once, also from the Handler.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return nil
	}
	c.closing, c.graceful = true, true
	c.reason = ReasonForcedClose
	close(c.closingCh)
	d := clientCloseTimeout
	c.closeTimer = time.AfterFunc(d, func() {
		c.mu.Lock()
		c.closeTimedOut = d
		c.mu.Unlock()
		c.cancel()
	})
	return nil
}

// clientFail ends the connection now for reason (the first reason wins). A
// failure during a graceful close ends it at once.
func (c *Client) clientFail(reason CloseReason, err error) {
	c.mu.Lock()
	if c.closing {
		graceful := c.graceful
		c.mu.Unlock()
		if graceful {
			c.cancel()
		}
		return
	}
	c.closing = true
	c.reason, c.reasonErr = reason, err
	close(c.closingCh)
	c.mu.Unlock()
	c.cancel()
}

// clientHandlePacket acts on one packet from the server. It returns false
// when the reader must stop.
func (c *Client) clientHandlePacket(p Packet) bool {
	if c.ctx.Err() != nil {
		return false
	}
	switch p.Type {
	case PacketMessage:
		if c.readLimit >= 0 && int64(len(p.Data)) > c.readLimit {
			c.clientFail(ReasonTransportError, c.clientTooLarge())
			return false
		}
		c.h.HandleMessage(p.Data[:len(p.Data):len(p.Data)], p.Binary)
	case PacketPing:
		c.clientResetPingTimeout()
		if c.dialTestNoPong.Load() {
			break
		}
		c.clientSendControl(ControlFrame(PacketPong, ""))
	case PacketClose:
		c.clientFail(ReasonTransportClose, nil)
		return false
	}
	// open, pong, upgrade and noop are ignored.
	return true
}

// clientResetPingTimeout (re)arms the watchdog, which ends the connection
// with ReasonPingTimeout when the next ping does not come within
// pingInterval+pingTimeout, and records when that is due by the wall clock,
// as engine.io-client's _resetPingTimeout records _pingTimeoutTime. It is
// called by Dial, then by the reader on each ping.
//
// The watchdog, a Go timer, runs on the monotonic clock, which stops while
// the machine is suspended (Linux's CLOCK_MONOTONIC): after a resume it
// fires late by the whole time asleep, while the connection died meanwhile
// (the server gave up on it), and what is sent until it fires is lost.
// PingExpired compares the wall clock, which advances during a suspend, to
// pingDeadline instead. pingDeadline is stripped of its monotonic reading
// (Round(0)): comparisons of two times that both have one use the
// monotonic readings, which would stand still as the timer does. (A step
// of the wall clock, set by hand or by NTP, moves the deadline as well, as
// engine.io-client's Date.now() does.)
func (c *Client) clientResetPingTimeout() {
	d := c.pingInterval + c.pingTimeout
	deadline := c.now().Round(0).Add(d)
	c.mu.Lock()
	c.pingDeadline = deadline
	c.mu.Unlock()
	if c.watchdog == nil { // Dial, before the connection's goroutines start
		c.watchdog = time.AfterFunc(d, func() { c.clientFail(ReasonPingTimeout, nil) })
		return
	}
	c.watchdog.Reset(d)
}

// PingExpired reports whether the server's heartbeat is overdue by the wall
// clock: no ping came within PingInterval+PingTimeout of the last one (or
// of the handshake). The connection is then dead, though the timer that
// ends it may not have fired yet: Go's timers run on the monotonic clock,
// which stops while the machine is suspended (a laptop's lid closed), so
// after a resume that timer fires late by the time asleep. When it is
// overdue, PingExpired ends the connection as the timer would, with
// ReasonPingTimeout (the first reason wins: a connection already closing
// keeps its own), so that a caller can keep a message for the next
// connection instead of sending it to a dead one, where it would be lost.
// It is engine.io-client's _hasPingExpired, which socket.io-client checks
// before each emit (Send does not check it, as engine.io-client's write
// does not).
func (c *Client) PingExpired() bool {
	c.mu.Lock()
	expired := c.now().After(c.pingDeadline)
	c.mu.Unlock()
	if expired {
		c.clientFail(ReasonPingTimeout, nil)
	}
	return expired
}

// clientTakeBatch removes from the queue the next frames to write: all of
// them over WebSocket, up to maxPayload bytes of payload over polling. The
// client is writing (see Writable) from a batch taken until an empty one.
func (c *Client) clientTakeBatch(polling bool) []Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writing = len(c.queue) > 0 // until the batch after this one is empty
	if len(c.queue) == 0 {
		return nil
	}
	n := len(c.queue)
	if polling && c.maxPayload > 0 {
		size := 0
		for i, f := range c.queue {
			l := payloadLen(f)
			if i > 0 {
				l++ // separator
			}
			if i > 0 && size+l > c.maxPayload {
				n = i
				break
			}
			size += l
		}
	}
	batch := slices.Clone(c.queue[:n])
	for _, f := range batch {
		c.queueBytes -= len(f.Data)
	}
	clear(c.queue[:n])
	c.queue = c.queue[n:]
	if len(c.queue) == 0 {
		c.queue = nil
	}
	if c.room != nil {
		close(c.room) // WaitQueue
		c.room = nil
	}
	return batch
}

// clientRun is the connection's main goroutine: it writes the queue to the
// current transport, completes the upgrade, and tears everything down at the
// end, calling HandleClose last.
func (c *Client) clientRun() {
	defer close(c.done)
loop:
	for {
		select {
		case <-c.closingCh:
			break loop
		case ws := <-c.upgradeCh:
			c.clientFinishUpgrade(ws)
		case <-c.wake:
		}
		for {
			batch := c.clientTakeBatch(c.ws == nil)
			if batch == nil {
				break
			}
			if err := c.clientWrite(c.ctx, batch); err != nil {
				if c.ctx.Err() == nil {
					c.clientFail(ReasonTransportError, err)
				}
				break loop
			}
		}
	}

	c.mu.Lock()
	graceful := c.graceful
	c.mu.Unlock()
	var flushErr error // of the queued messages' writes
	if graceful && c.ctx.Err() == nil {
		// Close's timer bounds this: it cancels c.ctx, which ends a write
		// and, through the reader's ws.Read, a WebSocket closing handshake.
		for flushErr == nil {
			batch := c.clientTakeBatch(c.ws == nil)
			if batch == nil {
				break
			}
			flushErr = c.clientWrite(c.ctx, batch)
		}
		// The close packet's write may fail once it arrived: the server
		// closes, the reader sees it and cancels c.ctx, which ends the
		// POST before its response is read. That loses nothing.
		if flushErr == nil && c.clientWrite(c.ctx, []Frame{ControlFrame(PacketClose, "")}) == nil && c.ws != nil {
			_ = c.ws.Close(websocket.StatusNormalClosure, "")
		}
	}
	c.mu.Lock()
	if graceful && c.reasonErr == nil {
		// What was queued may be lost: say so to HandleClose.
		switch {
		case c.closeTimedOut > 0:
			c.reasonErr = fmt.Errorf("engineio: close: not done within %v: the queued messages may not all have been written", c.closeTimedOut)
		case flushErr != nil:
			c.reasonErr = fmt.Errorf("engineio: close: the queued messages were not all written: %w", flushErr)
		}
	}
	if c.closeTimer != nil {
		c.closeTimer.Stop()
	}
	c.mu.Unlock()
	c.cancel()
	if c.ws != nil {
		_ = c.ws.CloseNow()
	}
	c.readers.Wait()
	c.watchdog.Stop()
	c.mu.Lock()
	c.queue, c.queueBytes = nil, 0
	reason, err := c.reason, c.reasonErr
	c.mu.Unlock()
	c.h.HandleClose(reason, err)
}

// clientWrite writes frames over the current transport.
func (c *Client) clientWrite(ctx context.Context, frames []Frame) error {
	if c.ws == nil {
		return c.clientPost(ctx, AppendPayload(nil, frames...))
	}
	for _, f := range frames {
		typ := websocket.MessageText
		if f.Binary {
			typ = websocket.MessageBinary
		}
		if err := c.ws.Write(ctx, typ, f.Data); err != nil {
			return err
		}
	}
	return nil
}

// clientFinishUpgrade switches to the probed WebSocket ws: it waits for the
// long-poll to pause, sends the upgrade packet and starts reading from ws.
func (c *Client) clientFinishUpgrade(ws *websocket.Conn) {
	c.mu.Lock()
	c.pollPause, c.upgrading = true, true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.upgrading = false
		c.mu.Unlock()
	}()
	t := time.NewTimer(clientProbeTimeout)
	defer t.Stop()
	select {
	case <-c.pollDone:
	case <-c.closingCh:
		ws.CloseNow()
		return
	case <-t.C:
		// The long-poll did not pause in time: its GET is still waiting,
		// or the Handler holds its reader. Give the upgrade up and stay
		// on long-polling, as after a failed probe (the server drops the
		// probe after its upgrade timeout anyway), unless it is pausing
		// right now.
		c.mu.Lock()
		stopped := c.pollStopped
		c.pollPause = stopped
		c.mu.Unlock()
		if !stopped {
			ws.CloseNow()
			return
		}
		select {
		case <-c.pollDone:
		case <-c.closingCh:
			ws.CloseNow()
			return
		}
	}
	if c.ctx.Err() != nil {
		ws.CloseNow()
		return
	}
	c.ws = ws // the polling reader has ended: from now on c.ws is used
	if err := ws.Write(c.ctx, websocket.MessageText, []byte{byte(PacketUpgrade)}); err != nil {
		c.clientFail(ReasonTransportError, fmt.Errorf("engineio: upgrade: %w", err))
		return
	}
	c.mu.Lock()
	c.transport = TransportWebSocket
	c.mu.Unlock()
	c.readers.Add(1)
	go c.clientWSReadLoop(ws)
}
