package socketio

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/internal/leakcheck"
	"github.com/siogen/siogen/runtime/parser"
)

// FuzzRecoveryConnect runs a server with connection state recovery and
// drives it, from the input, with clients that connect, lose their
// connections and come back with CONNECT auths that are valid, stale or
// garbage, at the times that matter: while a middleware holds a
// recovering socket, refuses it or closes its connection, while another
// connection recovers the same session, twice on one connection. Each
// input gets a server of its own.
//
// The first byte of the input chooses the codec (bit 0: MessagePack), the
// middleware for recovered sockets (bit 1: RecoveryOptions.RunMiddlewares)
// and the transport (bit 2: long-polling, else WebSocket). The rest is a
// script of steps, two bytes each (see the rc* constants and
// recoveryRun.step).
//
// A model of what the server keeps (the sessions, the kept broadcasts and
// their offsets, the recovery window) predicts each answer, and checks:
//
//   - a CONNECT that names a session the server keeps, with an offset it
//     keeps, recovers it; one that does not, does not;
//   - a session is recovered at most once: never while another socket has
//     it or waits in its middleware with it, and no two connected sockets
//     share an id or a private id (checked on the server too);
//   - a recovered socket gets, before its CONNECT reply, exactly the kept
//     broadcasts after its offset that its rooms were sent, in the order of
//     their offsets, and after the reply exactly those made once it was
//     admitted; a new socket, those made once it was admitted (a
//     connection that closes gets a prefix of them);
//   - its id and rooms are the session's;
//   - the server does nothing the script did not ask for (a CONNECT it
//     should ignore connects no socket), keeps serving a client that
//     behaves (which connects, recovers and gets an ack), and, once shut
//     down, leaves no goroutine behind.
func FuzzRecoveryConnect(f *testing.F) {
	for _, seed := range recoverySeeds {
		f.Add(seed.script())
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 1 || len(in) > 1+2*rcMaxSteps {
			return
		}
		r := newRecoveryRun(t, in)
		for i := 1; i+1 < len(in); i += 2 {
			r.step(in[i], in[i+1])
		}
		r.finish()
	})
}

// rcMaxSteps bounds the steps of an input, to keep each one quick.
const rcMaxSteps = 48

// The steps of a FuzzRecoveryConnect script. A step is two bytes: op and
// arg. The low 3 bits of op are the step, bits 3-4 the client (modulo 3),
// bits 5-6 and 7 details.
const (
	// rcConnect sends a CONNECT to "/": arg%len(authVariants) is its auth
	// (see the av* constants), op bits 5-6 a directive to the middleware
	// (rcDirectives), op bit 7 asks a socket that is not recovered to join
	// "room". The client dials first if its connection is closed.
	rcConnect = iota
	// rcBroadcast makes a kept broadcast: arg%4 chooses every socket,
	// room "room", the socket id of a session the clients know of (arg/4),
	// or every socket not in "room".
	rcBroadcast
	// rcClose closes the client's connection, once its socket has got all
	// that is due to it if op bit 5 is set: a socket waiting in its
	// middleware is then let in, and finds its connection closed. With op
	// bit 6, a new connection then sends the CONNECT that recovers the
	// client's session and closes at once (see snap).
	rcClose
	// rcRelease lets the socket that waits in the client's middleware in,
	// or, if op bit 5 is set, refuses it.
	rcRelease
	// rcExpire moves the clock past the recovery window.
	rcExpire
	// rcDisconnect sends a DISCONNECT for "/": the socket leaves, its
	// session is not kept; a connection not joined to "/" is closed.
	rcDisconnect
	// rcDouble sends the CONNECT of the client's session on its connection
	// and on the next client's, at once.
	rcDouble
	// rcTwice sends two CONNECTs in one write: the first with auth
	// arg%len(authVariants) (held in the middleware if op bit 7 is set),
	// the second, which the server ignores, with another.
	rcTwice
)

// rcDirectives are the middleware directives of rcConnect, by op bits 5-6.
var rcDirectives = [4]string{"", "refuse", "close", "hold"}

// recoveryWindow is the fuzz server's MaxDisconnectionDuration.
const recoveryWindow = time.Minute

// recoveryDirective is what the fuzz server's middleware reads in the
// CONNECT auth.
type recoveryDirective struct {
	// MW is "refuse" (a CONNECT_ERROR), "close" (the middleware closes the
	// connection and returns once it is closed), "hold" (it waits for the
	// driver's verdict) or nothing.
	MW string `json:"mw"`
	// Room makes a socket that is not recovered join "room".
	Room bool `json:"room"`
}

// The server side of a run.

// A recoveryEvent is something the server did with a socket, recorded for
// the driver to wait on.
type recoveryEvent struct {
	kind      string // "taken", "held", "connected", "disconnected" or "dropped"
	eio       string // the Engine.IO id of the socket's connection
	s         *Socket
	rooms     []Room           // connected: the socket's rooms
	recovered bool             // held, connected: s.Recovered()
	reason    DisconnectReason // disconnected
	verdict   chan error       // held: what the middleware is to return
	taken     bool             // the driver has seen it
}

// recoveryObserver is the server side of a run: its middleware obeys the
// directives of the CONNECT auth, and it records what becomes of the
// sockets, checking that no two connected sockets share an id or a
// private id.
type recoveryObserver struct {
	srv    *Server
	signal chan struct{} // a token when an event is recorded
	stop   chan struct{} // closed when the run ends: held middleware returns

	mu      sync.Mutex
	events  []*recoveryEvent
	sockets []*Socket // those whose connection handlers ran
	broken  []string  // what was seen to break the invariant
}

func (o *recoveryObserver) record(ev *recoveryEvent) {
	o.mu.Lock()
	o.events = append(o.events, ev)
	o.mu.Unlock()
	select {
	case o.signal <- struct{}{}:
	default:
	}
}

// take returns the first event on connection eio of one of kinds that the
// driver has not seen, or nil.
func (o *recoveryObserver) take(eio string, kinds ...string) *recoveryEvent {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, ev := range o.events {
		if !ev.taken && ev.eio == eio && slices.Contains(kinds, ev.kind) {
			ev.taken = true
			return ev
		}
	}
	return nil
}

// unseen describes the events the driver has not seen, but for "taken"
// (which only snap waits for).
func (o *recoveryObserver) unseen() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for _, ev := range o.events {
		if !ev.taken && ev.kind != "taken" {
			out = append(out, fmt.Sprintf("%s of socket %s on %s", ev.kind, ev.s.id, ev.eio))
		}
	}
	return out
}

// violations returns what broke the invariant so far.
func (o *recoveryObserver) violations() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.broken)
}

// middleware obeys the directive in the auth.
func (o *recoveryObserver) middleware(s *Socket) error {
	var d recoveryDirective
	_ = s.Handshake().Auth.Decode(&d) // garbage besides: no directive
	if d.Room && !s.Recovered() {
		if err := s.Join("room"); err != nil {
			return err
		}
	}
	switch d.MW {
	case "refuse":
		return NewConnectError("refused", nil)
	case "close":
		ss := o.srv.Engine().Session(s.Conn().ID())
		_ = s.Conn().Close()
		if ss != nil {
			select {
			case <-ss.Done():
			case <-o.stop:
			}
		}
	case "hold":
		verdict := make(chan error, 1)
		o.record(&recoveryEvent{kind: "held", eio: s.Conn().ID(), s: s, recovered: s.Recovered(), verdict: verdict})
		select {
		case err := <-verdict:
			return err
		case <-o.stop:
			return errors.New("the run is over")
		}
	}
	return nil
}

// connected records a socket whose connection handlers run, and checks
// that no other connected socket has its id or private id.
func (o *recoveryObserver) connected(s *Socket) {
	s.On("ping", func(e *Event) { _ = e.Ack("pong") })
	s.OnDisconnect(func(r DisconnectReason) { // once its state is kept
		o.record(&recoveryEvent{kind: "disconnected", eio: s.Conn().ID(), s: s, reason: r})
	})
	ev := &recoveryEvent{kind: "connected", eio: s.Conn().ID(), s: s, rooms: s.Rooms(), recovered: s.Recovered()}
	live := func(s *Socket) bool {
		select {
		case <-s.gone:
			return false
		default:
			return true
		}
	}
	o.mu.Lock()
	if live(s) {
		for _, other := range o.sockets {
			if live(other) && (other.id == s.id || other.pid == s.pid) {
				o.broken = append(o.broken, fmt.Sprintf("socket %s (pid %s, recovered %v) connected while socket %s (pid %s) is",
					s.id, s.pid, s.Recovered(), other.id, other.pid))
			}
		}
	}
	o.sockets = append(o.sockets, s)
	o.mu.Unlock()
	o.record(ev)
}

// The client side of a run and its model of the server.

// keptNews is a kept broadcast of event "news", whose argument is its
// index in recoveryRun.news.
type keptNews struct {
	to     string // "" every socket, "room", "!room" every socket not in it, or a socket id
	epoch  int    // the epoch it was stored in: pruned once that ends
	offset string // its offset, once a client got it
}

// sessionState is what the server does with a session, in the model.
type sessionState int

const (
	sessionLive    sessionState = iota // a socket has it
	sessionKept                        // kept for recovery
	sessionTaken                       // a recovering socket waits in its middleware with it
	sessionGone                        // not kept
	sessionUnknown                     // kept or gone: an auth the decoder may read two ways may have dropped it
)

func (s sessionState) String() string {
	return [...]string{"live", "kept", "taken", "gone", "unknown"}[s]
}

// recoverySession is a session a client was told of (in a CONNECT reply).
type recoverySession struct {
	pid, sid string
	rooms    []Room // as the server reported them when its socket connected
	state    sessionState
	epoch    int // when it was kept last
}

// recoveryClient is a socket.io-client socket of the run: its private id
// and last offset outlive its connections.
type recoveryClient struct {
	name string
	c    *rawClient // nil before the first dial
	ss   *engineio.Session
	open bool
	pid  string           // socket.io-client's _pid: the session it had last
	last string           // _lastOffset: the offset of the last event it got
	sock *recoverySession // the session of its socket in "/", when joined
	held *recoveryAttempt // the CONNECT whose socket waits in the middleware
	// unread: a CONNECT that the server is to ignore, for it came while
	// another waits in the middleware, may not have been read yet. Were
	// that one refused first, it would be read as a new CONNECT.
	unread bool
	synced bool  // joined to "/sync" (see flush)
	since  int   // len(news) when its socket was admitted
	got    []int // news its socket got after the CONNECT reply
}

// authKind tells how the server reads a CONNECT auth.
type authKind int

const (
	authTake      authKind = iota // as pid and offset say: recovers the session if kept, drops it if the offset is not
	authInert                     // recovers nothing, drops nothing (wrong types, missing fields)
	authMaybe                     // read as pid and offset say, or recovers nothing: the decoder's choice (duplicated keys, case)
	authMaybeDrop                 // likewise, or drops the session (a duplicated offset, the other one not kept)
	authNone                      // no auth at all
	authInvalid                   // not an object: the CONNECT is malformed, the server closes the connection
)

// recoveryAttempt is one CONNECT and what the model expects of it.
type recoveryAttempt struct {
	authSpec
	mw   string
	room bool
	sess *recoverySession // the session pid names, if the clients know it
	// predict is whether the model expects the server to take the
	// session: "yes", "no" or "maybe".
	predict string
	drops   bool // if not taken, the session is dropped (its offset is not kept)
	rec     bool // held: the socket is recovering
	ev      *recoveryEvent
}

// authSpec is a CONNECT auth and how the server reads it.
type authSpec struct {
	auth        any    // authObject, []any, string, authNull or a number; nil with authNone
	pid, offset string // what the auth asks to recover, read as meant
	kind        authKind
}

// authObject is an auth object whose keys keep their order and may repeat.
type authObject []authField

type authField struct {
	key string
	val any
}

// authNull is a null auth.
type authNull struct{}

// The auth variants, by their index in authVariants.
const (
	avValid       = iota // {pid, offset}
	avExtra              // {offset, token, pid, extra}: valid, fields in another order
	avPidNumber          // pid a number
	avOffsetFloat        // offset a number
	avBoolNull           // pid true, offset null
	avPidObject          // pid an object holding the pid
	avOffsetArray        // offset an array holding the offset
	avHugePid            // pid followed by 128 KiB
	avHugeOffset         // offset followed by 128 KiB: not kept, drops the session
	avNoOffset           // pid only
	avNoPid              // offset only
	avEmpty              // both empty strings
	avDupPidFirst        // pid twice, a wrong one first
	avDupPidLast         // pid twice, a wrong one last
	avDupOffset          // offset twice, one not kept first
	avOldest             // the oldest offset the clients know of: stale
	avOtherPid           // another session's pid with this client's offset
	avMadeUp             // a well-formed offset the server never made: drops the session
	avNoAuth             // no auth
	avString             // a string: malformed
	avArray              // [pid, offset]: malformed
	avDeep               // valid, with a value nested 64 deep
	avNulPid             // pid followed by a NUL
	avNull               // null: malformed
	avUpperKeys          // {PID, OFFSET}: encoding/json matches keys without case
	avDupSame            // {pid, offset, pid} with the same pid twice
	avPadded             // valid, with 128 KiB of padding in another field
)

// hugeLen is the length of the huge strings of the auth variants.
const hugeLen = 128 << 10

// authVariants build the auths a client sends: p and o are its private id
// and last offset, other a private id and old an offset that the clients
// know of.
var authVariants = []func(p, o, other, old string) authSpec{
	avValid: func(p, o, _, _ string) authSpec { return take(p, o, authObject{{"pid", p}, {"offset", o}}) },
	avExtra: func(p, o, _, _ string) authSpec {
		return take(p, o, authObject{{"offset", o}, {"token", "t"}, {"pid", p}, {"extra", []any{1, authObject{{"a", nil}}}}})
	},
	avPidNumber:   func(_, o, _, _ string) authSpec { return inert(authObject{{"pid", 123}, {"offset", o}}) },
	avOffsetFloat: func(p, _, _, _ string) authSpec { return inert(authObject{{"pid", p}, {"offset", 1.5}}) },
	avBoolNull:    func(_, _, _, _ string) authSpec { return inert(authObject{{"pid", true}, {"offset", nil}}) },
	avPidObject: func(p, o, _, _ string) authSpec {
		return inert(authObject{{"pid", authObject{{"pid", p}}}, {"offset", o}})
	},
	avOffsetArray: func(p, o, _, _ string) authSpec { return inert(authObject{{"pid", p}, {"offset", []any{o}}}) },
	avHugePid: func(p, o, _, _ string) authSpec {
		pid := p + strings.Repeat("x", hugeLen)
		return take(pid, o, authObject{{"pid", pid}, {"offset", o}})
	},
	avHugeOffset: func(p, o, _, _ string) authSpec {
		off := o + strings.Repeat("x", hugeLen)
		return take(p, off, authObject{{"pid", p}, {"offset", off}})
	},
	avNoOffset: func(p, _, _, _ string) authSpec { return take(p, "", authObject{{"pid", p}}) },
	avNoPid:    func(_, o, _, _ string) authSpec { return take("", o, authObject{{"offset", o}}) },
	avEmpty:    func(_, _, _, _ string) authSpec { return take("", "", authObject{{"pid", ""}, {"offset", ""}}) },
	avDupPidFirst: func(p, o, _, _ string) authSpec {
		return authSpec{authObject{{"pid", "nope"}, {"pid", p}, {"offset", o}}, p, o, authMaybe}
	},
	avDupPidLast: func(p, o, _, _ string) authSpec {
		return authSpec{authObject{{"pid", p}, {"pid", "nope"}, {"offset", o}}, p, o, authMaybe}
	},
	avDupOffset: func(p, o, _, _ string) authSpec {
		return authSpec{authObject{{"pid", p}, {"offset", "zz.1"}, {"offset", o}}, p, o, authMaybeDrop}
	},
	avOldest:   func(p, _, _, old string) authSpec { return take(p, old, authObject{{"pid", p}, {"offset", old}}) },
	avOtherPid: func(_, o, other, _ string) authSpec { return take(other, o, authObject{{"pid", other}, {"offset", o}}) },
	avMadeUp: func(p, _, _, _ string) authSpec {
		return take(p, "0.zzzz", authObject{{"pid", p}, {"offset", "0.zzzz"}})
	},
	avNoAuth: func(_, _, _, _ string) authSpec { return authSpec{kind: authNone} },
	avString: func(p, _, _, _ string) authSpec { return authSpec{auth: p, kind: authInvalid} },
	avArray:  func(p, o, _, _ string) authSpec { return authSpec{auth: []any{p, o}, kind: authInvalid} },
	avDeep: func(p, o, _, _ string) authSpec {
		var deep any = "bottom"
		for range 64 {
			deep = []any{deep}
		}
		return take(p, o, authObject{{"pid", p}, {"deep", deep}, {"offset", o}})
	},
	avNulPid: func(p, o, _, _ string) authSpec {
		return take(p+"\x00", o, authObject{{"pid", p + "\x00"}, {"offset", o}})
	},
	avNull: func(_, _, _, _ string) authSpec { return authSpec{auth: authNull{}, kind: authInvalid} },
	avUpperKeys: func(p, o, _, _ string) authSpec {
		return authSpec{authObject{{"PID", p}, {"OFFSET", o}}, p, o, authMaybe}
	},
	avDupSame: func(p, o, _, _ string) authSpec { return take(p, o, authObject{{"pid", p}, {"offset", o}, {"pid", p}}) },
	avPadded: func(p, o, _, _ string) authSpec {
		return take(p, o, authObject{{"pad", strings.Repeat("y", hugeLen)}, {"pid", p}, {"offset", o}})
	},
}

func take(pid, offset string, auth authObject) authSpec {
	return authSpec{auth: auth, pid: pid, offset: offset, kind: authTake}
}

func inert(auth authObject) authSpec { return authSpec{auth: auth, kind: authInert} }

// authJSON encodes an auth value as JSON, keys in order, repeated ones
// included.
func authJSON(v any) []byte {
	switch v := v.(type) {
	case authObject:
		b := []byte{'{'}
		for i, f := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, authJSON(f.key)...)
			b = append(b, ':')
			b = append(b, authJSON(f.val)...)
		}
		return append(b, '}')
	case []any:
		b := []byte{'['}
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, authJSON(e)...)
		}
		return append(b, ']')
	case authNull:
		return []byte("null")
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// authMsgpack encodes an auth value as MessagePack, keys in order,
// repeated ones included.
func authMsgpack(v any) []byte {
	switch v := v.(type) {
	case authObject:
		b := []byte{0x80 | byte(len(v))} // fixmap: at most 15 fields
		for _, f := range v {
			b = append(b, mpEncode(f.key)...)
			b = append(b, authMsgpack(f.val)...)
		}
		return b
	case []any:
		b := []byte{0x90 | byte(len(v))} // fixarray
		for _, e := range v {
			b = append(b, authMsgpack(e)...)
		}
		return b
	case authNull:
		return []byte{0xc0}
	}
	return mpEncode(v)
}

// recoveryRun is one FuzzRecoveryConnect input: its server, its clients,
// and the model of what the server keeps that their answers are checked
// against.
type recoveryRun struct {
	t         *testing.T
	in        []byte
	env       *testEnv
	obs       *recoveryObserver
	clock     atomic.Int64 // the recovery window's time, in ns (recoveryHooks.now)
	runMW     bool
	transport engineio.Transport
	clients   [3]*recoveryClient
	news      []keptNews         // every kept broadcast, in the order made
	offsets   map[string]int     // the offsets the clients got: index in news
	epoch     int                // rcExpire steps so far
	sessions  []*recoverySession // every session a client was told of, in order
	pids      map[string]*recoverySession
}

// newRecoveryRun starts the server of the input in.
func newRecoveryRun(t *testing.T, in []byte) *recoveryRun {
	// Registered first, so that it runs last, once the server is down.
	before := leakcheck.Snapshot()
	t.Cleanup(func() {
		if err := leakcheck.CheckSince(before, 5*time.Second); err != nil {
			t.Errorf("input %q: %v", in, err)
		}
	})
	r := &recoveryRun{t: t, in: in, runMW: in[0]&2 != 0, transport: engineio.TransportWebSocket,
		offsets: make(map[string]int), pids: make(map[string]*recoverySession)}
	codec := parser.JSON
	if in[0]&1 != 0 {
		codec = parser.MessagePack
	}
	if in[0]&4 != 0 {
		r.transport = engineio.TransportPolling
	}
	r.clock.Store(time.Now().UnixNano())
	r.env = newEnv(t, &ServerOptions{Parser: codec, ConnectionStateRecovery: &RecoveryOptions{
		MaxDisconnectionDuration: recoveryWindow, RunMiddlewares: r.runMW}})
	r.obs = &recoveryObserver{srv: r.env.srv, signal: make(chan struct{}, 1), stop: make(chan struct{})}
	t.Cleanup(func() { close(r.obs.stop) }) // before the server shuts down
	r.env.srv.hooks = &recoveryHooks{
		now:     func() time.Time { return time.Unix(0, r.clock.Load()) },
		taken:   func(s *Socket) { r.obs.record(&recoveryEvent{kind: "taken", eio: s.Conn().ID(), s: s}) },
		dropped: func(s *Socket) { r.obs.record(&recoveryEvent{kind: "dropped", eio: s.Conn().ID(), s: s}) },
	}
	r.env.srv.Use(r.obs.middleware)
	r.env.srv.OnConnection(r.obs.connected)
	r.env.srv.Of("/sync").OnConnection(func(s *Socket) { s.On("ping", func(e *Event) { _ = e.Ack() }) })
	for i := range r.clients {
		r.clients[i] = &recoveryClient{name: strconv.Itoa(i)}
	}
	return r
}

// fatalf fails the run, with its input.
func (r *recoveryRun) fatalf(format string, args ...any) {
	r.t.Helper()
	r.t.Fatalf("input %q: %s", r.in, fmt.Sprintf(format, args...))
}

// step runs one step of the script.
func (r *recoveryRun) step(op, arg byte) {
	cl := r.clients[int(op>>3&3)%len(r.clients)]
	switch op & 7 {
	case rcConnect:
		r.connect(cl, r.attempt(cl, int(arg), rcDirectives[op>>5&3], op&0x80 != 0))
	case rcBroadcast:
		to := ""
		switch arg % 4 {
		case 1:
			to = "room"
		case 2:
			if len(r.sessions) > 0 {
				to = r.sessions[int(arg/4)%len(r.sessions)].sid
			}
		case 3:
			to = "!room"
		}
		r.broadcast(to)
	case rcClose:
		if cl.open {
			if op&0x20 != 0 {
				r.drain(cl, cl.sock != nil)
			}
			_ = cl.c.eio.Close()
			r.ended(cl, true)
		}
		if op&0x40 != 0 {
			r.snap(cl)
		}
	case rcRelease:
		if cl.held != nil {
			r.release(cl, op&0x20 == 0)
		}
	case rcExpire:
		r.clock.Add(int64(recoveryWindow + time.Second))
		r.epoch++
	case rcDisconnect:
		r.disconnect(cl)
	case rcDouble:
		r.double(cl, r.clients[(int(op>>3&3)+1)%len(r.clients)])
	case rcTwice:
		r.twice(cl, int(arg), op&0x80 != 0)
	}
	if v := r.obs.violations(); len(v) > 0 {
		r.fatalf("%s", strings.Join(v, "; "))
	}
}

// attempt builds the CONNECT of auth variant v for cl.
func (r *recoveryRun) attempt(cl *recoveryClient, v int, mw string, room bool) *recoveryAttempt {
	other, old := cl.pid, cl.last
	if len(r.sessions) > 0 {
		other = r.sessions[v/len(authVariants)%len(r.sessions)].pid
	}
	for _, n := range r.news {
		if n.offset != "" {
			old = n.offset
			break
		}
	}
	a := &recoveryAttempt{authSpec: authVariants[v%len(authVariants)](cl.pid, cl.last, other, old)}
	if obj, ok := a.auth.(authObject); ok {
		if mw != "" {
			obj = append(obj, authField{"mw", mw})
		}
		if room {
			obj = append(obj, authField{"room", true})
		}
		a.auth, a.mw, a.room = obj, mw, room
	}
	return a
}

// frames encodes a's CONNECT to "/" in the run's codec, the auth as it is
// (parser.Packet would not carry repeated keys, nor an auth that is not an
// object).
func (r *recoveryRun) frames(a *recoveryAttempt) []engineio.Frame {
	if r.env.codec == parser.MessagePack {
		b := []byte{0x82}
		if a.kind != authNone {
			b[0] = 0x83
		}
		b = append(b, mpEncode("type")...)
		b = append(b, 0)
		b = append(b, mpEncode("nsp")...)
		b = append(b, mpEncode("/")...)
		if a.kind != authNone {
			b = append(b, mpEncode("data")...)
			b = append(b, authMsgpack(a.auth)...)
		}
		return []engineio.Frame{engineio.BinaryFrame(b)}
	}
	b := []byte{'0'}
	if a.kind != authNone {
		b = append(b, authJSON(a.auth)...)
	}
	return []engineio.Frame{engineio.TextFrame(b)}
}

// dial opens a connection for cl if it has none.
func (r *recoveryRun) dial(cl *recoveryClient) {
	if cl.open {
		return
	}
	cl.c = r.env.dial(r.t, r.transport)
	cl.ss = r.env.srv.Engine().Session(cl.c.eio.ID())
	if cl.ss == nil {
		r.fatalf("client %s: no server session for %s", cl.name, cl.c.eio.ID())
	}
	cl.open = true
}

// send writes frames on cl's connection.
func (r *recoveryRun) send(cl *recoveryClient, frames ...engineio.Frame) {
	if err := cl.c.eio.Send(frames...); err != nil {
		r.fatalf("client %s: send: %v", cl.name, err)
	}
}

// predict sets what the model expects of a, and what its CONNECT does to
// the session it names when it does not recover it.
func (r *recoveryRun) predict(a *recoveryAttempt) {
	a.predict = "no"
	switch a.kind {
	case authTake, authMaybe, authMaybeDrop:
	default:
		return
	}
	if a.pid == "" || a.offset == "" {
		return
	}
	a.sess = r.pids[a.pid]
	if a.sess == nil {
		return
	}
	switch a.sess.state {
	case sessionUnknown:
		a.predict = "maybe"
	case sessionKept:
		switch {
		case a.sess.epoch < r.epoch: // pruned
		case r.stored(a.offset):
			a.predict = "yes"
		default:
			a.drops = true
		}
	}
	if a.kind == authMaybeDrop {
		a.drops = a.drops || a.predict != "no"
	}
	if a.kind != authTake && a.predict == "yes" {
		a.predict = "maybe"
	}
}

// stored reports whether the server keeps the packet of offset.
func (r *recoveryRun) stored(offset string) bool {
	i, ok := r.offsets[offset]
	return ok && r.news[i].epoch == r.epoch
}

// took checks whether a's socket recovers (rec) against the prediction and
// applies it to the model.
func (r *recoveryRun) took(a *recoveryAttempt, rec bool) {
	switch {
	case rec && a.predict == "no":
		state := "unknown to the clients"
		if a.sess != nil {
			state = a.sess.state.String()
		}
		r.fatalf("a CONNECT recovered session %s (%s) with offset %q", a.pid, state, a.offset)
	case !rec && a.predict == "yes":
		r.fatalf("a CONNECT with the kept session %s and the kept offset %q did not recover it", a.pid, a.offset)
	case rec && a.sess.state != sessionKept && a.sess.state != sessionUnknown:
		r.fatalf("a CONNECT recovered session %s, which is %s: at most one socket recovers a session", a.pid, a.sess.state)
	case rec:
		a.sess.state = sessionTaken
	case a.drops && a.sess.state == sessionKept:
		a.sess.state = sessionGone
		if a.kind == authMaybeDrop {
			a.sess.state = sessionUnknown
		}
	}
}

// answer checks that what came of a CONNECT (kind "reply", "error",
// "closed" or "held") is what its directive makes of it, for a socket that
// recovers (rec) or not.
func (r *recoveryRun) answer(a *recoveryAttempt, rec bool, kind string) {
	r.t.Helper()
	if want := r.wants(a, rec); kind != want {
		r.fatalf("a CONNECT (auth kind %d, directive %q, recovering %v) got %s, want %s", a.kind, a.mw, rec, kind, want)
	}
}

// wants returns what comes of a CONNECT whose socket recovers (rec) or
// not: the middleware, which runs for a recovering socket with
// RunMiddlewares only, obeys its directive.
func (r *recoveryRun) wants(a *recoveryAttempt, rec bool) string {
	if !rec || r.runMW {
		switch a.mw {
		case "refuse":
			return "error"
		case "close":
			return "closed"
		case "hold":
			return "held"
		}
	}
	return "reply"
}

// connect sends a's CONNECT on cl's connection and checks what comes of it.
func (r *recoveryRun) connect(cl *recoveryClient, a *recoveryAttempt) {
	r.dial(cl)
	if a.kind == authInvalid {
		r.send(cl, r.frames(a)...)
		r.ended(cl, false)
		return
	}
	if cl.sock != nil || cl.held != nil {
		// Joined or joining: ignored (a reply or socket would show up later).
		r.send(cl, r.frames(a)...)
		cl.unread = cl.held != nil
		return
	}
	r.predict(a)
	r.send(cl, r.frames(a)...)
	r.settle(cl, a)
}

// settle waits for what comes of a's CONNECT on cl and checks it.
func (r *recoveryRun) settle(cl *recoveryClient, a *recoveryAttempt) {
	kind, reply, pre, held := r.outcome(cl)
	switch kind {
	case "held":
		r.took(a, held.recovered)
		r.answer(a, held.recovered, kind)
		a.rec, a.ev, cl.held = held.recovered, held, a
	case "reply":
		rec := a.pid != "" && reply.PID == a.pid
		r.took(a, rec)
		r.answer(a, rec, kind)
		r.admitted(cl, a, rec, reply, pre)
	default: // refused, or the middleware closed the connection
		rec := a.predict == "yes"
		if a.predict == "maybe" {
			// Taken and given back, or not taken: the session is as it
			// was, or dropped.
			if a.drops {
				a.sess.state = sessionUnknown
			}
			if kind != r.wants(a, true) && kind != r.wants(a, false) {
				r.fatalf("a CONNECT (auth kind %d, directive %q) got %s", a.kind, a.mw, kind)
			}
			rec = false
		} else {
			r.took(a, rec)
			r.answer(a, rec, kind)
		}
		if rec {
			a.sess.state = sessionKept // given back
		}
		if kind == "closed" {
			r.ended(cl, false)
			r.event(cl, "dropped")
		}
	}
}

// outcome waits for the answer to a CONNECT on cl: the reply (and the
// events that came before it), a CONNECT_ERROR, the socket held in the
// middleware, or the connection closed.
func (r *recoveryRun) outcome(cl *recoveryClient) (kind string, reply recoveryReply, pre []int, held *recoveryEvent) {
	r.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if ev := r.obs.take(cl.c.eio.ID(), "held"); ev != nil {
			return "held", reply, pre, ev
		}
		select {
		case p := <-cl.c.packets:
			switch p.Type {
			case parser.Connect:
				if len(p.Data) != 1 || p.Data[0].Decode(&reply) != nil || reply.SID == "" || reply.PID == "" {
					r.fatalf("client %s: CONNECT reply %s", cl.name, show(p))
				}
				return "reply", reply, pre, nil
			case parser.ConnectError:
				return "error", reply, pre, nil
			}
			pre = append(pre, r.news1(cl, p))
		case reason := <-cl.c.closed:
			cl.c.closed <- reason // for ended
			return "closed", reply, pre, nil
		case <-r.obs.signal:
		case <-deadline:
			r.fatalf("client %s: no answer to a CONNECT within 5s", cl.name)
		}
	}
}

// news1 checks that p is a "news" event and returns its index, learning
// its offset.
func (r *recoveryRun) news1(cl *recoveryClient, p *parser.Packet) int {
	r.t.Helper()
	name, _ := p.EventName()
	args := p.Args()
	if p.Type != parser.Event || name != "news" || len(args) != 2 {
		r.fatalf("client %s: got %v %s, want a kept broadcast", cl.name, p.Type, show(p))
	}
	var label, offset string
	if args[0].Decode(&label) != nil || args[1].Decode(&offset) != nil {
		r.fatalf("client %s: got %s", cl.name, show(p))
	}
	i, err := strconv.Atoi(label)
	if err != nil || i < 0 || i >= len(r.news) {
		r.fatalf("client %s: got news %q, not broadcast", cl.name, label)
	}
	if known := r.news[i].offset; known != "" && known != offset {
		r.fatalf("news %d came with offset %q and %q", i, known, offset)
	}
	if prev, ok := r.offsets[offset]; ok && prev != i {
		r.fatalf("news %d and %d came with the same offset %q", prev, i, offset)
	}
	seq, ok := offsetSeqOf(offset)
	if !ok {
		r.fatalf("news %d: offset %q", i, offset)
	}
	for j, n := range r.news {
		if s, ok := offsetSeqOf(n.offset); ok && n.offset != "" && (j < i) != (s < seq) && j != i {
			r.fatalf("news %d has offset %q, news %d offset %q: not in the order they were made", i, offset, j, n.offset)
		}
	}
	r.news[i].offset = offset
	r.offsets[offset] = i
	cl.last = offset
	return i
}

// due returns the indices of news from..len(news) that a socket in rooms
// was sent.
func (r *recoveryRun) due(rooms []Room, from int) []int {
	var out []int
	for i := from; i < len(r.news); i++ {
		to := r.news[i].to
		in := to == "" || (to == "!room" && !slices.Contains(rooms, "room")) ||
			(to != "!room" && slices.Contains(rooms, Room(to)))
		if in {
			out = append(out, i)
		}
	}
	return out
}

// admitted checks the CONNECT reply to a, whose socket was taking its
// session (taken), and the events that came before it (pre); and records
// cl's new socket.
func (r *recoveryRun) admitted(cl *recoveryClient, a *recoveryAttempt, taken bool, reply recoveryReply, pre []int) {
	r.t.Helper()
	ev := r.event(cl, "connected")
	if ev.s.id != reply.SID || ev.s.pid != reply.PID {
		r.fatalf("client %s: reply sid %s pid %s, socket %s pid %s", cl.name, reply.SID, reply.PID, ev.s.id, ev.s.pid)
	}
	recovered := taken && reply.PID == a.pid
	if ev.recovered != recovered {
		r.fatalf("client %s: socket %s Recovered() %v, its reply says %v", cl.name, ev.s.id, ev.recovered, recovered)
	}
	var s *recoverySession
	if taken {
		// What it missed can no longer be told if a packet after its
		// offset was pruned while it waited in its middleware.
		ended := false
		for i := r.offsets[a.offset] + 1; i < len(r.news); i++ {
			ended = ended || r.news[i].epoch < r.epoch
		}
		switch {
		case ended && recovered:
			r.fatalf("client %s: recovered session %s though a packet after offset %q was pruned", cl.name, a.pid, a.offset)
		case !ended && !recovered:
			r.fatalf("client %s: session %s not recovered at admission (new pid %s)", cl.name, a.pid, reply.PID)
		case ended:
			if reply.SID != a.sess.sid {
				r.fatalf("client %s: the socket of session %s, whose window ended, has id %s, want %s", cl.name, a.pid, reply.SID, a.sess.sid)
			}
			a.sess.state = sessionGone
		}
	}
	if recovered {
		s = a.sess
		if reply.SID != s.sid {
			r.fatalf("client %s: recovered session %s with socket id %s, want %s", cl.name, s.pid, reply.SID, s.sid)
		}
		if !sameRooms(ev.rooms, s.rooms) {
			r.fatalf("client %s: recovered session %s in rooms %q, want %q", cl.name, s.pid, ev.rooms, s.rooms)
		}
		if want := r.due(s.rooms, r.offsets[a.offset]+1); !slices.Equal(pre, want) {
			r.fatalf("client %s: recovering session %s from offset %q (news %d) got %v before its CONNECT reply, want %v",
				cl.name, s.pid, a.offset, r.offsets[a.offset], pre, want)
		}
		s.state = sessionLive
		if len(pre) == 0 {
			cl.last = a.offset
		}
	} else {
		if len(pre) > 0 {
			r.fatalf("client %s: a new socket got %v before its CONNECT reply", cl.name, pre)
		}
		if old := r.sidOwner(reply.SID); old != nil && !(taken && old == a.sess) {
			r.fatalf("client %s: a new socket has the id %s of session %s", cl.name, reply.SID, old.pid)
		}
		if r.pids[reply.PID] != nil {
			r.fatalf("client %s: a new socket has the private id %s of another session", cl.name, reply.PID)
		}
		want := []Room{Room(reply.SID)}
		if a.room && !taken {
			want = append(want, "room")
		}
		if !sameRooms(ev.rooms, want) {
			r.fatalf("client %s: new socket %s in rooms %q, want %q", cl.name, reply.SID, ev.rooms, want)
		}
		s = &recoverySession{pid: reply.PID, sid: reply.SID, rooms: ev.rooms, state: sessionLive}
		r.sessions = append(r.sessions, s)
		r.pids[s.pid] = s
	}
	cl.pid, cl.sock, cl.since, cl.got = s.pid, s, len(r.news), nil
}

// sidOwner returns the first session with socket id sid.
func (r *recoveryRun) sidOwner(sid string) *recoverySession {
	for _, s := range r.sessions {
		if s.sid == sid {
			return s
		}
	}
	return nil
}

func sameRooms(a, b []Room) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// event waits for the server's event of kind on cl's connection.
func (r *recoveryRun) event(cl *recoveryClient, kind string) *recoveryEvent {
	r.t.Helper()
	return r.eventOf(cl, kind)
}

// eventOf waits for the server's first event of one of kinds on cl's
// connection.
func (r *recoveryRun) eventOf(cl *recoveryClient, kinds ...string) *recoveryEvent {
	r.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if ev := r.obs.take(cl.c.eio.ID(), kinds...); ev != nil {
			return ev
		}
		select {
		case <-r.obs.signal:
		case <-deadline:
			r.fatalf("client %s: no %s event within 5s", cl.name, strings.Join(kinds, " or "))
		}
	}
}

// drain takes the events cl's socket got since the last drain and checks
// them against those due. With all, it waits for all of them (the
// connection is open); else what came must be the start of them (the
// connection has closed).
func (r *recoveryRun) drain(cl *recoveryClient, all bool) {
	r.t.Helper()
	var due []int
	if cl.sock != nil {
		due = r.due(cl.sock.rooms, cl.since)
	}
	deadline := time.After(5 * time.Second)
	for {
		var p *parser.Packet
		select {
		case p = <-cl.c.packets:
		default:
			if !all || len(cl.got) == len(due) {
				return
			}
			select {
			case p = <-cl.c.packets:
			case <-deadline:
				r.fatalf("client %s: socket %s got %v, want %v", cl.name, cl.sock.sid, cl.got, due)
			}
		}
		if cl.sock == nil {
			r.fatalf("client %s: got %v %s on a connection without socket", cl.name, p.Type, show(p))
		}
		i := r.news1(cl, p)
		if len(cl.got) == len(due) || due[len(cl.got)] != i {
			r.fatalf("client %s: socket %s got %v then %d, want %v", cl.name, cl.sock.sid, cl.got, i, due)
		}
		cl.got = append(cl.got, i)
	}
}

// ended waits for cl's connection, which the client or the server has
// closed, to end on both sides, checks what it got, and waits for the
// server to settle its socket: one joined is disconnected (with a reason
// that keeps its session if byClient), one held in the middleware is let
// in, finds the connection closed and gives back its session.
func (r *recoveryRun) ended(cl *recoveryClient, byClient bool) {
	r.t.Helper()
	r.closed(cl)
	r.drain(cl, false)
	if s := cl.sock; s != nil {
		ev := r.event(cl, "disconnected")
		switch {
		case recoverable(ev.reason):
			s.state, s.epoch = sessionKept, r.epoch
		case byClient:
			r.fatalf("client %s: closed by the client, socket %s disconnected for %q, which keeps no session", cl.name, s.sid, ev.reason)
		default:
			s.state = sessionGone
		}
		cl.sock = nil
	}
	if a := cl.held; a != nil {
		cl.held = nil
		a.ev.verdict <- nil
		r.event(cl, "dropped")
		if a.rec {
			a.sess.state = sessionKept
		}
	}
}

// closed waits for cl's connection, which the client or the server has
// closed, to end on both sides: the server has read all it will read of
// it.
func (r *recoveryRun) closed(cl *recoveryClient) {
	r.t.Helper()
	select {
	case <-cl.c.closed:
	case <-time.After(5 * time.Second):
		r.fatalf("client %s: connection not closed within 5s", cl.name)
	}
	select {
	case <-cl.ss.Done():
	case <-time.After(5 * time.Second):
		r.fatalf("client %s: server session %s not ended within 5s", cl.name, cl.ss.ID())
	}
	cl.open, cl.unread, cl.synced = false, false, false
}

// snap sends, on a new connection, the CONNECT that recovers cl's session,
// if it is kept, and closes the connection at once. Whether the server
// reads the CONNECT, lets the socket in before the connection closes,
// connects it before the close is handled, is up to the race: whichever,
// the session is kept after as before (with its rooms), and what the
// client got is the start of the packets it missed and the CONNECT reply.
func (r *recoveryRun) snap(cl *recoveryClient) {
	r.t.Helper()
	if cl.sock != nil || cl.held != nil {
		return
	}
	a := r.attempt(cl, avValid, "", false)
	r.predict(a)
	if a.predict != "yes" {
		return
	}
	r.dial(cl)
	r.send(cl, r.frames(a)...)
	_ = cl.c.eio.Close()
	r.closed(cl)
	want := r.due(a.sess.rooms, r.offsets[a.offset]+1)
	var got []int
	replied := false
	for len(cl.c.packets) > 0 {
		p := <-cl.c.packets
		var reply recoveryReply
		switch {
		case replied:
			r.fatalf("client %s: got %v %s after the CONNECT reply, with nothing broadcast", cl.name, p.Type, show(p))
		case p.Type == parser.Connect:
			if p.Data[0].Decode(&reply) != nil || reply.SID != a.sess.sid || reply.PID != a.pid {
				r.fatalf("client %s: CONNECT reply %s, want session %s recovered", cl.name, show(p), a.pid)
			}
			if !slices.Equal(got, want) {
				r.fatalf("client %s: got %v before its CONNECT reply, want %v", cl.name, got, want)
			}
			replied = true
		default:
			got = append(got, r.news1(cl, p))
			if len(got) > len(want) || got[len(got)-1] != want[len(got)-1] {
				r.fatalf("client %s: got %v of the packets it missed, want the start of %v", cl.name, got, want)
			}
		}
	}
	if r.obs.take(cl.c.eio.ID(), "taken") != nil {
		// Read and taken: not let in (the connection had closed), or
		// connected (or not) and then disconnected, keeping it again.
		if ev := r.eventOf(cl, "dropped", "connected"); ev.kind == "connected" {
			if !ev.recovered || ev.s.id != a.sess.sid || !sameRooms(ev.rooms, a.sess.rooms) {
				r.fatalf("client %s: socket %s (recovered %v) in rooms %q, want session %s recovered in %q",
					cl.name, ev.s.id, ev.recovered, ev.rooms, a.pid, a.sess.rooms)
			}
			if d := r.event(cl, "disconnected"); !recoverable(d.reason) {
				r.fatalf("client %s: closed by the client, socket %s disconnected for %q, which keeps no session", cl.name, d.s.id, d.reason)
			}
		}
	} else if replied || len(got) > 0 {
		r.fatalf("client %s: got %v and a reply (%v), its CONNECT not taken", cl.name, got, replied)
	}
	a.sess.state, a.sess.epoch = sessionKept, r.epoch
}

// release lets the socket held in cl's middleware in, or refuses it.
func (r *recoveryRun) release(cl *recoveryClient, allow bool) {
	if !allow && cl.unread {
		r.flush(cl)
	}
	a := cl.held
	cl.held = nil
	if allow {
		a.ev.verdict <- nil
	} else {
		a.ev.verdict <- errors.New("refused")
	}
	kind, reply, pre, _ := r.outcome(cl)
	switch {
	case allow && kind == "reply":
		r.admitted(cl, a, a.rec, reply, pre)
	case !allow && kind == "error" && len(pre) == 0:
		if a.rec {
			a.sess.state = sessionKept
		}
	default:
		r.fatalf("client %s: a socket let in (%v) by its middleware got %s after %v", cl.name, allow, kind, pre)
	}
}

// flush waits until the server has read what cl sent: it joins "/sync",
// or, once joined, sends an event with an ack there; the answer comes
// once what was sent before has been read. The connection is not joined
// to "/" (a socket waits in its middleware), so nothing else may come.
func (r *recoveryRun) flush(cl *recoveryClient) {
	p := &parser.Packet{Type: parser.Connect, Namespace: "/sync"}
	if cl.synced {
		p = &parser.Packet{Type: parser.Event, Namespace: "/sync", ID: 1, HasID: true, Data: []parser.Value{parser.ValueOf("ping")}}
	}
	cl.c.send(p)
	select {
	case got := <-cl.c.packets:
		if got.Namespace != "/sync" || (got.Type != parser.Connect && got.Type != parser.Ack) {
			r.fatalf("client %s: got %v %s on %s, want the answer on /sync", cl.name, got.Type, show(got), got.Namespace)
		}
	case <-time.After(5 * time.Second):
		r.fatalf("client %s: no answer on /sync within 5s", cl.name)
	}
	cl.synced, cl.unread = true, false
}

// broadcast makes a kept broadcast to "" (every socket), "room", "!room"
// (every socket not in it) or a socket id.
func (r *recoveryRun) broadcast(to string) {
	i := len(r.news)
	r.news = append(r.news, keptNews{to: to, epoch: r.epoch})
	var err error
	switch label := strconv.Itoa(i); to {
	case "":
		err = r.env.srv.Emit("news", label)
	case "!room":
		err = r.env.srv.Except("room").Emit("news", label)
	default:
		err = r.env.srv.To(Room(to)).Emit("news", label)
	}
	if err != nil {
		r.fatalf("broadcast: %v", err)
	}
}

// disconnect sends a DISCONNECT for "/" on cl's connection.
func (r *recoveryRun) disconnect(cl *recoveryClient) {
	if !cl.open {
		return
	}
	cl.c.send(&parser.Packet{Type: parser.Disconnect, Namespace: "/"})
	s := cl.sock
	if s == nil { // "/" not joined: the server closes the connection
		r.ended(cl, false)
		return
	}
	ev := r.event(cl, "disconnected")
	if ev.reason != ReasonClientNamespaceDisconnect {
		r.fatalf("client %s: DISCONNECT made reason %q", cl.name, ev.reason)
	}
	r.drain(cl, true) // all that was sent to it while it was there
	s.state, cl.sock = sessionGone, nil
}

// double sends the CONNECT that recovers a's session (its private id and
// last offset) on a's connection and on b's at once: at most one of them
// recovers it, and one does if the session is kept.
func (r *recoveryRun) double(a, b *recoveryClient) {
	if a == b || a.sock != nil || a.held != nil || b.sock != nil || b.held != nil {
		return
	}
	r.dial(a)
	r.dial(b)
	atts := [2]*recoveryAttempt{
		{authSpec: authVariants[avValid](a.pid, a.last, "", "")},
		{authSpec: authVariants[avValid](a.pid, a.last, "", "")},
	}
	r.predict(atts[0])
	r.predict(atts[1])
	want := atts[0].predict
	r.send(a, r.frames(atts[0])...)
	r.send(b, r.frames(atts[1])...)
	recovered := 0
	for i, cl := range [2]*recoveryClient{a, b} {
		at := atts[i]
		kind, reply, pre, _ := r.outcome(cl)
		if kind != "reply" {
			r.fatalf("client %s: a CONNECT without directive got %s", cl.name, kind)
		}
		rec := at.pid != "" && reply.PID == at.pid
		if rec {
			recovered++
			at.predict = "maybe"
			r.took(at, true)
		} else if at.sess != nil && at.drops {
			at.sess.state = sessionGone
		}
		r.admitted(cl, at, rec, reply, pre)
	}
	switch {
	case recovered > 1:
		r.fatalf("clients %s and %s both recovered session %s", a.name, b.name, atts[0].pid)
	case recovered == 0 && want == "yes":
		r.fatalf("neither client %s nor %s recovered the kept session %s", a.name, b.name, atts[0].pid)
	}
}

// twice sends two CONNECTs in one write on cl's connection: variant v
// (held in the middleware if hold) and another, which the server ignores.
func (r *recoveryRun) twice(cl *recoveryClient, v int, hold bool) {
	if cl.sock != nil || cl.held != nil {
		return
	}
	mw := ""
	if hold {
		mw = "hold"
	}
	first := r.attempt(cl, v, mw, false)
	second := r.attempt(cl, v*13+7, "refuse", true)
	// Both well-formed, or the second would close the connection.
	if first.kind == authInvalid {
		first = r.attempt(cl, avValid, mw, false)
	}
	if second.kind == authInvalid {
		second = r.attempt(cl, avNoAuth, "", false)
	}
	r.dial(cl)
	r.predict(first)
	r.send(cl, append(r.frames(first), r.frames(second)...)...)
	r.settle(cl, first)
	cl.unread = cl.held != nil
}

// finish ends the run: held sockets are refused; a last broadcast to
// every socket reaches every joined client after all that was due to it;
// a client that behaves connects, recovers and gets an ack; and the
// server did nothing the script did not ask for.
func (r *recoveryRun) finish() {
	for _, cl := range r.clients {
		if cl.held != nil {
			r.release(cl, false)
		}
	}
	r.broadcast("")
	for _, cl := range r.clients {
		if cl.open {
			r.drain(cl, cl.sock != nil)
		}
	}

	probe := &recoveryClient{name: "probe"}
	r.connect(probe, r.attempt(probe, avNoAuth, "", false))
	if probe.sock == nil {
		r.fatalf("a client that behaves did not connect")
	}
	r.broadcast(probe.sock.sid)
	r.drain(probe, true)
	_ = probe.c.eio.Close()
	r.ended(probe, true)
	r.connect(probe, r.attempt(probe, avValid, "", false))
	if probe.sock == nil {
		r.fatalf("a client that behaves did not recover its session")
	}
	probe.c.send(&parser.Packet{Type: parser.Event, Namespace: "/", ID: 1, HasID: true,
		Data: []parser.Value{parser.ValueOf("ping")}})
	var p *parser.Packet
	select {
	case p = <-probe.c.packets:
	case <-time.After(5 * time.Second):
		r.fatalf("a client that behaves got no ack within 5s")
	}
	var pong string
	if p.Type != parser.Ack || p.ID != 1 || len(p.Data) != 1 || p.Data[0].Decode(&pong) != nil || pong != "pong" {
		r.fatalf("a client that behaves got %v %s, want its ack", p.Type, show(p))
	}
	if v := r.obs.violations(); len(v) > 0 {
		r.fatalf("%s", strings.Join(v, "; "))
	}
	if u := r.obs.unseen(); len(u) > 0 {
		r.fatalf("the server did what no step asked for: %s", strings.Join(u, "; "))
	}
}

// recoverySeed is a FuzzRecoveryConnect input, spelled out.
type recoverySeed struct {
	name  string // what it covers
	flags byte   // the first byte: rcMsgpack, rcRunMW, rcPolling
	steps [][2]byte
}

// The bits of the first byte of an input.
const (
	rcMsgpack = 1 << iota
	rcRunMW
	rcPolling
)

func (s recoverySeed) script() []byte {
	b := []byte{s.flags}
	for _, st := range s.steps {
		b = append(b, st[0], st[1])
	}
	return b
}

// The steps of a seed.

func connectStep(client, variant int, mw string, room bool) [2]byte {
	op := byte(rcConnect) | byte(client)<<3 | byte(slices.Index(rcDirectives[:], mw))<<5
	if room {
		op |= 0x80
	}
	return [2]byte{op, byte(variant)}
}

// otherPid is the auth variant with the private id of the k-th session
// the clients were told of.
func otherPid(k int) int { return avOtherPid + k*len(authVariants) }

// broadcastStep broadcasts to every socket (0), "room" (1), the socket id
// of the k-th session (2), every socket not in "room" (3).
func broadcastStep(to, k int) [2]byte { return [2]byte{rcBroadcast, byte(to | k<<2)} }

func closeStep(client int, sync bool) [2]byte {
	op := byte(rcClose) | byte(client)<<3
	if sync {
		op |= 0x20
	}
	return [2]byte{op, 0}
}

// snapStep closes the client's connection, if open, then sends the
// CONNECT that recovers its session and closes at once.
func snapStep(client int) [2]byte { return [2]byte{byte(rcClose) | byte(client)<<3 | 0x40, 0} }

func releaseStep(client int, allow bool) [2]byte {
	op := byte(rcRelease) | byte(client)<<3
	if !allow {
		op |= 0x20
	}
	return [2]byte{op, 0}
}

func expireStep() [2]byte               { return [2]byte{rcExpire, 0} }
func disconnectStep(client int) [2]byte { return [2]byte{byte(rcDisconnect) | byte(client)<<3, 0} }
func doubleStep(client int) [2]byte     { return [2]byte{byte(rcDouble) | byte(client)<<3, 0} }

func twiceStep(client, variant int, hold bool) [2]byte {
	op := byte(rcTwice) | byte(client)<<3
	if hold {
		op |= 0x80
	}
	return [2]byte{op, byte(variant)}
}

// steps joins step lists.
func steps(lists ...[][2]byte) [][2]byte { return slices.Concat(lists...) }

// kept connects client 0 (in "room"; with no private id yet, avValid
// asks for nothing), broadcasts to every socket and to "room", and closes
// its connection once it has got both: session 0 is kept, and client 0
// has its offset.
var kept = [][2]byte{connectStep(0, avValid, "", true), broadcastStep(0, 0), broadcastStep(1, 0), closeStep(0, true)}

// recoverySeeds cover each scenario; plain go test runs them.
var recoverySeeds = []recoverySeed{
	{"recovery with what was missed, to every socket, the room, the socket, not the room", 0, steps(kept,
		[][2]byte{broadcastStep(0, 0), broadcastStep(1, 0), broadcastStep(2, 0), broadcastStep(3, 0), connectStep(0, avValid, "", false)})},
	{"likewise with MessagePack", rcMsgpack, steps(kept,
		[][2]byte{broadcastStep(0, 0), broadcastStep(3, 0), connectStep(0, avValid, "", false)})},
	{"likewise over long-polling", rcPolling | rcMsgpack, steps(kept,
		[][2]byte{broadcastStep(1, 0), connectStep(0, avExtra, "", false)})},
	{"a socket outside the room", 0, [][2]byte{connectStep(0, avValid, "", false), connectStep(1, avValid, "", true),
		broadcastStep(1, 0), broadcastStep(3, 0), broadcastStep(2, 1), closeStep(0, true), closeStep(1, true),
		broadcastStep(1, 0), broadcastStep(3, 0), connectStep(0, avValid, "", false), connectStep(1, avValid, "", false)}},
	{"recovered twice in a row", 0, steps(kept, [][2]byte{connectStep(0, avValid, "", false), broadcastStep(0, 0),
		closeStep(0, true), broadcastStep(0, 0), connectStep(0, avValid, "", false)})},
	{"an older offset: what came after it again", 0, steps(kept, [][2]byte{connectStep(0, avOldest, "", false)})},
	{"an offset the server never made, then the valid one: the session is gone", 0, steps(kept,
		[][2]byte{connectStep(0, avMadeUp, "refuse", false), connectStep(0, avValid, "", false)})},
	{"a huge offset drops the session too (MessagePack)", rcMsgpack, steps(kept,
		[][2]byte{connectStep(0, avHugeOffset, "refuse", false), connectStep(0, avValid, "", false)})},
	{"the window ended", 0, steps(kept, [][2]byte{expireStep(), connectStep(0, avValid, "", false)})},
	{"offsets from before the window ended, a session from after", 0, [][2]byte{connectStep(0, avValid, "", false),
		broadcastStep(0, 0), closeStep(0, true), connectStep(1, avValid, "", false), expireStep(),
		closeStep(1, false), connectStep(1, otherPid(1), "", false), connectStep(0, avValid, "", false)}},
	{"garbage that names the session without touching it, then the valid auth", 0, steps(kept, [][2]byte{
		connectStep(0, avPidNumber, "refuse", false), connectStep(0, avOffsetFloat, "refuse", false),
		connectStep(0, avBoolNull, "refuse", false), connectStep(0, avPidObject, "refuse", false),
		connectStep(0, avOffsetArray, "refuse", false), connectStep(0, avHugePid, "refuse", false),
		connectStep(0, avNoOffset, "refuse", false), connectStep(0, avNoPid, "refuse", false),
		connectStep(0, avEmpty, "refuse", false), connectStep(0, avNulPid, "refuse", false),
		connectStep(0, avDeep, "refuse", true), connectStep(0, avNoAuth, "", false),
		closeStep(0, false), connectStep(0, avValid, "", false)})},
	{"likewise with MessagePack", rcMsgpack, steps(kept, [][2]byte{
		connectStep(0, avPidNumber, "refuse", false), connectStep(0, avOffsetFloat, "refuse", false),
		connectStep(0, avBoolNull, "refuse", false), connectStep(0, avPidObject, "refuse", false),
		connectStep(0, avOffsetArray, "refuse", false), connectStep(0, avHugePid, "refuse", false),
		connectStep(0, avNoOffset, "refuse", false), connectStep(0, avEmpty, "refuse", false),
		connectStep(0, avNulPid, "refuse", false), connectStep(0, avDeep, "refuse", true),
		connectStep(0, avValid, "", false)})},
	{"auths that are not objects close the connection", 0, steps(kept, [][2]byte{connectStep(0, avString, "", false),
		connectStep(0, avArray, "", false), connectStep(0, avNull, "", false), connectStep(0, avValid, "", false)})},
	{"likewise with MessagePack", rcMsgpack, steps(kept, [][2]byte{connectStep(0, avString, "", false),
		connectStep(0, avNull, "", false), connectStep(0, avPadded, "", false)})},
	{"a malformed CONNECT on a joined connection: its session is not kept", 0, [][2]byte{
		connectStep(0, avValid, "", false), broadcastStep(0, 0), connectStep(0, avArray, "", false),
		connectStep(0, avValid, "", false)}},
	{"duplicated keys and keys in capitals", 0, steps(kept, [][2]byte{connectStep(0, avDupPidLast, "refuse", false),
		connectStep(0, avUpperKeys, "refuse", false), connectStep(0, avDupSame, "refuse", false),
		connectStep(0, avDupPidFirst, "", false)})},
	{"likewise with MessagePack, and a duplicated offset", rcMsgpack, steps(kept, [][2]byte{
		connectStep(0, avDupPidLast, "refuse", false), connectStep(0, avUpperKeys, "refuse", false),
		connectStep(0, avDupOffset, "", false), closeStep(0, true), connectStep(0, avValid, "", false)})},
	{"the same session on two connections at once", 0, steps(kept, [][2]byte{doubleStep(0), broadcastStep(0, 0)})},
	{"likewise with MessagePack and the middleware", rcMsgpack | rcRunMW, steps(kept, [][2]byte{doubleStep(0)})},
	{"another client names the session while it is connected, then when it is kept", 0, steps(kept, [][2]byte{
		connectStep(1, avValid, "", false), broadcastStep(0, 0), closeStep(1, true),
		connectStep(0, avValid, "", false), connectStep(1, otherPid(0), "", false),
		closeStep(0, true), closeStep(1, true), connectStep(1, otherPid(0), "", false)})},
	{"another CONNECT for the session while its recovery waits in the middleware", rcRunMW, [][2]byte{
		connectStep(0, avValid, "", false), connectStep(1, avValid, "", false), broadcastStep(0, 0),
		closeStep(0, true), closeStep(1, true), connectStep(0, avValid, "hold", false),
		connectStep(1, otherPid(0), "", false), broadcastStep(0, 0), releaseStep(0, true)}},
	{"CONNECT twice on one connection", 0, steps(kept, [][2]byte{twiceStep(0, avValid, false), broadcastStep(0, 0)})},
	{"CONNECT twice, the first held", rcRunMW | rcMsgpack, steps(kept, [][2]byte{twiceStep(0, avValid, true),
		broadcastStep(1, 0), connectStep(0, avValid, "", false), releaseStep(0, true)})},
	{"a CONNECT that would recover, sent while another waits in the middleware, which is then refused", 0,
		steps(kept, [][2]byte{connectStep(0, avNulPid, "hold", false), connectStep(0, avValid, "", false),
			releaseStep(0, false), connectStep(0, avValid, "", false)})},
	{"CONNECT twice, a new socket held", 0, [][2]byte{twiceStep(0, avValid, true), broadcastStep(0, 0), releaseStep(0, true)}},
	{"refused by the middleware, then recovered", rcRunMW, steps(kept, [][2]byte{
		connectStep(0, avValid, "refuse", false), broadcastStep(0, 0), connectStep(0, avValid, "", false)})},
	{"a recovering socket held, then refused", rcRunMW, steps(kept, [][2]byte{connectStep(0, avValid, "hold", false),
		broadcastStep(0, 0), releaseStep(0, false), connectStep(0, avValid, "", false)})},
	{"the middleware closes the connection, then recovered", rcRunMW, steps(kept, [][2]byte{
		connectStep(0, avValid, "close", false), broadcastStep(1, 0), connectStep(0, avValid, "", false)})},
	{"a new socket refused, held, its connection closed by the middleware", 0, [][2]byte{
		connectStep(0, avValid, "refuse", true), connectStep(0, avValid, "hold", true), broadcastStep(0, 0),
		releaseStep(0, false), connectStep(0, avValid, "close", false), connectStep(1, avValid, "hold", true),
		closeStep(1, false)}},
	{"the connection closed while the recovery waits in the middleware", rcRunMW, steps(kept, [][2]byte{
		connectStep(0, avValid, "hold", false), broadcastStep(0, 0), closeStep(0, false),
		broadcastStep(1, 0), connectStep(0, avValid, "", false)})},
	{"likewise over long-polling", rcRunMW | rcPolling, steps(kept, [][2]byte{
		connectStep(0, avValid, "hold", false), closeStep(0, false), connectStep(0, avValid, "", false)})},
	{"a recovering CONNECT racing its connection's close, twice, then recovered", 0, steps(kept, [][2]byte{
		broadcastStep(0, 0), broadcastStep(1, 0), snapStep(0), broadcastStep(2, 0), snapStep(0), connectStep(0, avValid, "", false)})},
	{"likewise with MessagePack and the middleware", rcMsgpack | rcRunMW, steps(kept, [][2]byte{
		broadcastStep(0, 0), snapStep(0), snapStep(0), broadcastStep(1, 0), connectStep(0, avValid, "", false)})},
	{"likewise over long-polling", rcPolling, steps(kept, [][2]byte{broadcastStep(0, 0), snapStep(0), connectStep(0, avValid, "", false)})},
	{"a DISCONNECT while the recovery waits in the middleware", rcRunMW, steps(kept, [][2]byte{
		connectStep(0, avValid, "hold", false), disconnectStep(0), connectStep(0, avValid, "", false)})},
	{"the window ends while the recovery waits in the middleware", rcRunMW, steps(kept, [][2]byte{
		connectStep(0, avValid, "hold", false), broadcastStep(0, 0), expireStep(), broadcastStep(0, 0),
		releaseStep(0, true)})},
	{"the window ends while it waits, nothing missed meanwhile", rcRunMW | rcMsgpack, steps(kept, [][2]byte{
		connectStep(0, avValid, "hold", false), expireStep(), broadcastStep(0, 0), releaseStep(0, true)})},
	{"a DISCONNECT: the session is not kept", 0, [][2]byte{connectStep(0, avValid, "", false), broadcastStep(0, 0),
		disconnectStep(0), connectStep(0, avValid, "", false)}},
}
