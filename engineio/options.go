package engineio

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/siogen/siogen/internal/id"
)

// Options configures a Server. The zero value is Node engine.io 6.6's
// defaults: pingInterval 25 s, pingTimeout 20 s, upgradeTimeout 10 s,
// maxHttpBufferSize 1e6 bytes, polling and WebSocket with upgrades, HTTP
// compression of polling responses over 1 KiB, no permessage-deflate, no
// cookie — except for cross-origin requests, which siogen refuses unless CORS
// allows them (Node lets them through and leaves the check to the browser).
type Options struct {
	// PingInterval is how often the server pings a session. Default 25 s.
	PingInterval time.Duration
	// PingTimeout is how long the server waits for the pong before it closes
	// the session with ReasonPingTimeout. Default 20 s.
	PingTimeout time.Duration
	// UpgradeTimeout bounds an upgrade from polling to WebSocket, from the
	// WebSocket's opening to its "5" packet. Default 10 s.
	UpgradeTimeout time.Duration
	// MaxHTTPBufferSize is the largest message or polling request body, in
	// bytes, that the server accepts (announced as maxPayload). A larger POST
	// body gets 413; a larger WebSocket frame closes the WebSocket with 1009.
	// Default 1e6.
	MaxHTTPBufferSize int
	// Transports lists the transports the server accepts. Default: polling
	// and WebSocket.
	Transports []Transport
	// DisableUpgrades turns off upgrades from polling to WebSocket.
	DisableUpgrades bool
	// AllowRequest, when set, vets every handshake (the request without a
	// session id that opens a session, over polling or WebSocket); a non-nil
	// error refuses it with 403 {"code":4,"message":err.Error()}. The later
	// requests of a session, its upgrade to WebSocket included, are not
	// vetted again, as in Node's allowRequest.
	AllowRequest func(r *http.Request) error
	// CORS says which foreign origins may use the server. Nil: same-origin
	// only (a request whose Origin header names another host is refused with
	// 403, for polling and WebSocket alike).
	CORS *CORS
	// CompressionThreshold is the smallest polling response, in bytes, that
	// is compressed (gzip or deflate, as the client's Accept-Encoding allows).
	// Default 1024; negative turns HTTP compression off.
	CompressionThreshold int
	// PerMessageDeflate enables the WebSocket permessage-deflate extension
	// (off by default, as in Node, since it costs CPU and memory per socket).
	PerMessageDeflate bool
	// Cookie, when set, is sent with the handshake response with the session
	// id as its value (Node's "cookie" option). Name defaults to "io".
	Cookie *http.Cookie
	// InitialPacket, when set, is sent as a message right after the open packet.
	InitialPacket []byte
	// Path, when set, restricts the server to requests whose URL path starts
	// with it; others get 404. Empty serves every request routed to it, which
	// is what a mux wants.
	Path string
	// WriteQueueSize bounds the bytes queued for one session before Send
	// fails with ErrQueueFull. A message is accepted into an empty queue
	// whatever its size. A WebSocket pong answering the peer's ping is
	// dropped rather than queued beyond it. Default 4 MiB.
	WriteQueueSize int
	// NewID makes session ids. Default: 15 random bytes from crypto/rand as
	// 20 URL-safe base64 characters.
	NewID func() string
	// Logger receives the server's log lines. Default slog.Default().
	Logger *slog.Logger
}

// Default values of Options fields.
const (
	DefaultPingInterval         = 25 * time.Second
	DefaultPingTimeout          = 20 * time.Second
	DefaultUpgradeTimeout       = 10 * time.Second
	DefaultMaxHTTPBufferSize    = 1_000_000
	DefaultCompressionThreshold = 1024
	DefaultWriteQueueSize       = 4 << 20
)

// withDefaults returns a copy of o (nil allowed) with every zero field set
// to its default.
func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = DefaultPingTimeout
	}
	if c.UpgradeTimeout <= 0 {
		c.UpgradeTimeout = DefaultUpgradeTimeout
	}
	if c.MaxHTTPBufferSize <= 0 {
		c.MaxHTTPBufferSize = DefaultMaxHTTPBufferSize
	}
	if len(c.Transports) == 0 {
		c.Transports = []Transport{TransportPolling, TransportWebSocket}
	}
	if c.CompressionThreshold == 0 {
		c.CompressionThreshold = DefaultCompressionThreshold
	}
	if c.WriteQueueSize <= 0 {
		c.WriteQueueSize = DefaultWriteQueueSize
	}
	if c.NewID == nil {
		c.NewID = id.New
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Cookie != nil {
		ck := *c.Cookie
		if ck.Name == "" {
			ck.Name = "io"
		}
		c.Cookie = &ck
	}
	return c
}

func (o *Options) allows(t Transport) bool {
	for _, x := range o.Transports {
		if x == t {
			return true
		}
	}
	return false
}
