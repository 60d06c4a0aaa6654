package socketio

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
)

// recoveryReply is the payload of the CONNECT reply with recovery on.
type recoveryReply struct {
	SID string `json:"sid"`
	PID string `json:"pid"`
}

// connectRecovering sends a CONNECT to "/" with auth and returns the events
// that come before the reply, and the reply.
func (c *rawClient) connectRecovering(auth any) ([]string, recoveryReply) {
	c.t.Helper()
	p := &parser.Packet{Type: parser.Connect, Namespace: "/"}
	if auth != nil {
		p.Data = []parser.Value{parser.ValueOf(auth)}
	}
	c.send(p)
	var events []string
	for {
		r := c.next()
		if r.Type == parser.Connect {
			var reply recoveryReply
			if err := r.Data[0].Decode(&reply); err != nil || reply.SID == "" || reply.PID == "" {
				c.t.Fatalf("connect reply %s: %v", show(r), err)
			}
			return events, reply
		}
		name, _ := r.EventName()
		if r.Type != parser.Event {
			c.t.Fatalf("got %v %s before the CONNECT reply", r.Type, show(r))
		}
		events = append(events, name)
	}
}

// Node's socket.emit, with connection state recovery on, goes through the
// adapter to the room of the socket's id whether the socket is connected or
// not ("this ensures the packet is stored and can be transmitted upon
// reconnection"): what a disconnecting, disconnect or later handler emits to
// a socket that lost its transport is replayed when it recovers, and, once
// it has, the old Socket value's emits reach the client live.
func TestRecoveryKeepsEmitsToDisconnectedSocket(t *testing.T) {
	for _, codec := range codecs {
		t.Run(codec.Name(), func(t *testing.T) {
			env := newEnv(t, &ServerOptions{Parser: codec, ConnectionStateRecovery: &RecoveryOptions{}})
			sockets := make(chan *Socket, 2)
			gone := make(chan error, 1)
			env.srv.OnConnection(func(s *Socket) {
				if err := s.Emit("hello"); err != nil {
					t.Errorf("Emit hello: %v", err)
				}
				if s.Recovered() {
					sockets <- s
					return
				}
				s.OnDisconnecting(func(DisconnectReason) { _ = s.Emit("while-disconnecting") })
				s.OnDisconnect(func(DisconnectReason) { gone <- s.Emit("after-disconnect") })
				sockets <- s
			})
			c := env.dial(t, engineio.TransportWebSocket)
			_, first := c.connectRecovering(nil)
			old := <-sockets
			args := c.expectEvent("/", "hello")
			offset := decodeString(t, args[len(args)-1])

			c.eio.Close()
			c.waitClosed()
			if err := <-gone; err != nil {
				t.Fatalf("Emit in OnDisconnect with recovery on: %v; want it kept for the recovery", err)
			}
			if err := old.Emit("later"); err != nil {
				t.Fatalf("Emit to the disconnected socket: %v; want it kept for the recovery", err)
			}
			if err := old.Volatile().Emit("volatile"); err == nil {
				t.Fatal("a volatile Emit to a disconnected socket succeeded")
			}

			c2 := env.dial(t, engineio.TransportWebSocket)
			missed, reply := c2.connectRecovering(map[string]string{"pid": first.PID, "offset": offset})
			if reply.SID != first.SID {
				t.Fatalf("not recovered: sid %s, want %s", reply.SID, first.SID)
			}
			want := []string{"while-disconnecting", "after-disconnect", "later"}
			if len(missed) != len(want) || missed[0] != want[0] || missed[1] != want[1] || missed[2] != want[2] {
				t.Fatalf("replayed %q, want %q", missed, want)
			}
			<-sockets
			c2.expectEvent("/", "hello")
			if err := old.Emit("live"); err != nil {
				t.Fatalf("Emit through the old socket after the recovery: %v", err)
			}
			c2.expectEvent("/", "live")
		})
	}
}

// recoveryFixture is a socket that lost its transport with connection state
// recovery on: its client got "one" (whose offset it recovers from) in
// room "room", and "two" was broadcast to the room while it was away.
type recoveryFixture struct {
	env       *testEnv
	sid, pid  string
	offset    string
	old       *Socket      // the socket before it lost its transport
	recovered chan *Socket // the recovered socket, once its connection handlers run
}

// newRecoveryFixture starts a server with rec and hooks. Its middleware
// puts a socket that is not recovered in "room"; mw, if not nil, runs
// after it.
func newRecoveryFixture(t *testing.T, rec *RecoveryOptions, hooks *recoveryHooks, mw Middleware) *recoveryFixture {
	t.Helper()
	env := newEnv(t, &ServerOptions{ConnectionStateRecovery: rec})
	env.srv.hooks = hooks
	env.srv.Use(func(s *Socket) error {
		if !s.Recovered() {
			return s.Join("room")
		}
		return nil
	})
	if mw != nil {
		env.srv.Use(mw)
	}
	first := make(chan *Socket, 1)
	gone := make(chan struct{})
	f := &recoveryFixture{env: env, recovered: make(chan *Socket, 1)}
	var connected atomic.Bool
	env.srv.OnConnection(func(s *Socket) {
		switch {
		case s.Recovered():
			f.recovered <- s
		case connected.CompareAndSwap(false, true):
			s.OnDisconnect(func(DisconnectReason) { close(gone) }) // after its state is kept
			first <- s
		}
	})
	c := env.dial(t, engineio.TransportWebSocket)
	_, reply := c.connectRecovering(nil)
	f.sid, f.pid = reply.SID, reply.PID
	f.old = <-first
	if err := env.srv.To("room").Emit("news", "one"); err != nil {
		t.Fatal(err)
	}
	args := c.expectEvent("/", "news")
	f.offset = decodeString(t, args[len(args)-1])
	c.eio.Close()
	c.waitClosed()
	<-gone
	if err := env.srv.To("room").Emit("news", "two"); err != nil {
		t.Fatal(err)
	}
	return f
}

// reconnect sends the CONNECT of a client recovering f's socket, on a
// new connection.
func (f *recoveryFixture) reconnect(t *testing.T) *rawClient {
	t.Helper()
	c := f.env.dial(t, engineio.TransportWebSocket)
	f.recover(c)
	return c
}

// recover sends the CONNECT of a client recovering f's socket on c.
func (f *recoveryFixture) recover(c *rawClient) {
	c.t.Helper()
	c.send(&parser.Packet{Type: parser.Connect, Namespace: "/",
		Data: []parser.Value{parser.ValueOf(map[string]string{"pid": f.pid, "offset": f.offset})}})
}

// news broadcasts event "news" with label to room ("" for every socket).
func (f *recoveryFixture) news(t *testing.T, room, label string) {
	var err error
	if room == "" {
		err = f.env.srv.Emit("news", label)
	} else {
		err = f.env.srv.To(room).Emit("news", label)
	}
	if err != nil {
		t.Error(err)
	}
}

// wire reads what c gets: the labels of the "news" events before the
// CONNECT reply, and, if the reply recovers f's socket, the labels after
// it up to "end", which it broadcasts to the socket's own room once the
// socket is connected.
func (f *recoveryFixture) wire(t *testing.T, c *rawClient) (before []string, after []string) {
	t.Helper()
	var reply recoveryReply
	for {
		p := c.next()
		if p.Type == parser.Connect {
			if err := p.Data[0].Decode(&reply); err != nil {
				t.Fatalf("connect reply %s: %v", show(p), err)
			}
			break
		}
		if name, _ := p.EventName(); p.Type != parser.Event || name != "news" {
			t.Fatalf("got %v %s", p.Type, show(p))
		}
		before = append(before, decodeString(t, p.Args()[0]))
	}
	if reply.SID != f.sid || reply.PID != f.pid {
		t.Fatalf("CONNECT reply sid %s pid %s: not recovered (want sid %s pid %s)", reply.SID, reply.PID, f.sid, f.pid)
	}
	s := <-f.recovered
	if s.ID() != f.sid {
		t.Fatalf("recovered socket %s, want %s", s.ID(), f.sid)
	}
	f.news(t, f.sid, "end")
	for {
		p := c.next()
		if name, _ := p.EventName(); p.Type != parser.Event || name != "news" {
			t.Fatalf("got %v %s after the CONNECT reply", p.Type, show(p))
		}
		label := decodeString(t, p.Args()[0])
		if label == "end" {
			return before, after
		}
		after = append(after, label)
	}
}

// checkRecovered checks that the client recovered f's socket, got the
// events before wantBefore its CONNECT reply and wantAfter after it.
func (f *recoveryFixture) checkRecovered(t *testing.T, c *rawClient, wantBefore, wantAfter []string) {
	t.Helper()
	before, after := f.wire(t, c)
	if !slices.Equal(before, wantBefore) || !slices.Equal(after, wantAfter) {
		t.Fatalf("got %q, CONNECT, %q; want %q, CONNECT, %q", before, after, wantBefore, wantAfter)
	}
}

// A racer makes a kept broadcast from a test hook, in the window the hook
// opens: on a goroutine of its own, for the broadcast may have to wait for
// the hook's caller.
type racer struct {
	waits chan struct{}
	done  chan struct{} // closed once the broadcast has returned
}

func newRacer() *racer { return &racer{waits: make(chan struct{}, 1), done: make(chan struct{})} }

// run starts broadcast and returns once it has gone through, or waits
// for its turn (which the hook's caller may hold).
func (r *racer) run(broadcast func()) {
	go func() {
		defer close(r.done)
		broadcast()
	}()
	select {
	case <-r.done:
	case <-r.waits:
	}
}

// broadcastWaits is the broadcastWaits hook that run needs.
func (r *racer) broadcastWaits() {
	select {
	case r.waits <- struct{}{}:
	default:
	}
}

// A broadcast made while a socket recovers either is among the packets it
// missed, sent before its CONNECT reply, or reaches it live, after them:
// never neither, never both, never before an older missed one. Each case
// opens, with a test hook, the window in which the code before the fix
// went wrong.
func TestRecoveryAdmissionRaces(t *testing.T) {
	// The session is looked up at CONNECT; broadcasts are made before the
	// socket joins its rooms. They were lost: not among the packets
	// computed at CONNECT, and sent to sockets that did not include it.
	t.Run("lost", func(t *testing.T) {
		var armed atomic.Bool
		var f *recoveryFixture
		hooks := &recoveryHooks{taken: func(*Socket) {
			if armed.CompareAndSwap(true, false) {
				f.news(t, "room", "three")
				f.news(t, "", "four")
				if err := f.old.Emit("news", "five"); err != nil {
					t.Error(err)
				}
			}
		}}
		f = newRecoveryFixture(t, &RecoveryOptions{}, hooks, nil)
		armed.Store(true)
		c := f.reconnect(t)
		f.checkRecovered(t, c, []string{"two", "three", "four", "five"}, nil)
	})

	// A broadcast made once the socket has joined its rooms, before the
	// packets it missed are queued: it went out before them.
	t.Run("misordered", func(t *testing.T) {
		r := newRacer()
		var f *recoveryFixture
		hooks := &recoveryHooks{
			joined:         func(*Socket) { r.run(func() { f.news(t, "room", "three") }) },
			broadcastWaits: r.broadcastWaits,
		}
		f = newRecoveryFixture(t, &RecoveryOptions{}, hooks, nil)
		c := f.reconnect(t)
		f.checkRecovered(t, c, []string{"two"}, []string{"three"})
		<-r.done
	})

	// A broadcast that has stored its packet when the session is looked up,
	// and chooses its recipients once the socket is connected: it was
	// among the missed packets and sent live as well.
	t.Run("duplicated", func(t *testing.T) {
		var armed atomic.Bool
		waits := make(chan struct{}, 1)
		var f *recoveryFixture
		var c *rawClient
		hooks := &recoveryHooks{
			stored: func() {
				if !armed.CompareAndSwap(true, false) {
					return
				}
				c = f.reconnect(t)
				// The socket connects, or its admission waits for this broadcast.
				select {
				case s := <-f.recovered:
					f.recovered <- s // for wire
				case <-waits:
				}
			},
			admissionWaits: func() {
				select {
				case waits <- struct{}{}:
				default:
				}
			},
		}
		f = newRecoveryFixture(t, &RecoveryOptions{}, hooks, nil)
		armed.Store(true)
		f.news(t, "room", "three")
		f.checkRecovered(t, c, []string{"two", "three"}, nil)
	})
}

// With RunMiddlewares, what is broadcast while a recovered socket's
// middleware runs is among the packets it missed: they are computed when
// it is admitted, not at its CONNECT (Node loses them: its socket is in no
// namespace's list meanwhile, and its missed packets were computed before).
func TestRecoverySlowMiddleware(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	f := newRecoveryFixture(t, &RecoveryOptions{RunMiddlewares: true}, nil, func(s *Socket) error {
		if s.Recovered() {
			entered <- struct{}{}
			<-release
		}
		return nil
	})
	c := f.reconnect(t)
	<-entered
	f.news(t, "room", "three")
	f.news(t, "", "four")
	if err := f.old.Emit("news", "five"); err != nil {
		t.Error(err)
	}
	f.news(t, "elsewhere", "not for it")
	close(release)
	f.checkRecovered(t, c, []string{"two", "three", "four", "five"}, nil)
}

// When the recovery window ends while a recovered socket's middleware runs,
// and a packet it missed is dropped meanwhile, what it missed can no longer
// be told: it is connected as a new session (a new private id, so that
// socket.io-client's socket.recovered is false; Recovered is false; its
// rooms are not restored), not as a recovered one that silently lacks
// events.
func TestRecoveryWindowEndsDuringMiddleware(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	entered := make(chan struct{})
	release := make(chan struct{})
	hooks := &recoveryHooks{now: func() time.Time { return time.Unix(0, clock.Load()) }}
	f := newRecoveryFixture(t, &RecoveryOptions{RunMiddlewares: true, MaxDisconnectionDuration: time.Minute}, hooks,
		func(s *Socket) error {
			if s.Recovered() {
				entered <- struct{}{}
				<-release
			}
			return nil
		})
	fresh := make(chan *Socket, 1)
	f.env.srv.OnConnection(func(s *Socket) {
		if s.ID() == f.sid && !s.Recovered() {
			fresh <- s
		}
	})
	c := f.reconnect(t)
	<-entered
	f.news(t, "room", "three")
	clock.Add(int64(2 * time.Minute))
	f.news(t, "room", "four") // drops one, two and three
	close(release)
	p := c.next()
	var reply recoveryReply
	if p.Type != parser.Connect || p.Data[0].Decode(&reply) != nil {
		t.Fatalf("got %v %s, want the CONNECT reply", p.Type, show(p))
	}
	if reply.SID != f.sid || reply.PID == f.pid || reply.PID == "" {
		t.Fatalf("CONNECT reply sid %s pid %s; want sid %s and a pid other than %s", reply.SID, reply.PID, f.sid, f.pid)
	}
	s := <-fresh
	if rooms := s.Rooms(); !slices.Equal(rooms, []Room{f.sid}) {
		t.Fatalf("rooms %q, want its own only", rooms)
	}
	f.news(t, "", "live")
	if got := decodeString(t, c.expectEvent("/", "news")[0]); got != "live" {
		t.Fatalf("got %q, want live", got)
	}
}

// A recovered socket whose transport closes before the task that connects
// it has run keeps its rooms for the next recovery: the session its
// disconnect keeps again lists them, so the client, recovering again from
// the same offset, gets what was broadcast to them meanwhile.
func TestRecoveryDisconnectedBeforeConnected(t *testing.T) {
	var armed atomic.Bool
	clients := make(chan *rawClient, 1)
	hooks := &recoveryHooks{admitted: func(s *Socket) {
		if armed.CompareAndSwap(true, false) {
			(<-clients).eio.Close()
			<-s.gone
		}
	}}
	f := newRecoveryFixture(t, &RecoveryOptions{}, hooks, nil)
	gone := make(chan struct{})
	f.env.srv.OnConnection(func(s *Socket) {
		if s.ID() == f.sid && s.Recovered() && !s.Connected() {
			s.OnDisconnect(func(DisconnectReason) { close(gone) }) // after its state is kept
		}
	})
	armed.Store(true)
	c := f.reconnect(t)
	clients <- c
	c.waitClosed()
	<-f.recovered // its connection handlers ran, disconnected
	<-gone
	f.news(t, "room", "three")
	f.checkRecovered(t, f.reconnect(t), []string{"two", "three"}, nil)
}

// Two kept broadcasts made at once reach a socket in the order of their
// offsets: socket.io-client recovers from the offset of the last packet
// it got. The code before the fix stored and delivered them in either
// order; when the one with the higher offset came first, the client
// recovered from the lower and got the other a second time (and, had its
// transport closed between the two, it would have recovered from the
// higher and never got the lower).
func TestRecoveryKeptBroadcastsInOffsetOrder(t *testing.T) {
	var armed atomic.Bool
	r := newRacer()
	var env *testEnv
	hooks := &recoveryHooks{
		// "a" has its offset; "b" is broadcast before "a" is delivered.
		stored: func() {
			if armed.CompareAndSwap(true, false) {
				r.run(func() {
					if err := env.srv.Emit("news", "b"); err != nil {
						t.Error(err)
					}
				})
			}
		},
		broadcastWaits: r.broadcastWaits,
	}
	env = newEnv(t, &ServerOptions{ConnectionStateRecovery: &RecoveryOptions{}})
	env.srv.hooks = hooks
	gone := make(chan struct{})
	env.srv.OnConnection(func(s *Socket) {
		if !s.Recovered() {
			s.OnDisconnect(func(DisconnectReason) { close(gone) }) // after its state is kept
		}
	})
	c := env.dial(t, engineio.TransportWebSocket)
	_, first := c.connectRecovering(nil)
	armed.Store(true)
	if err := env.srv.Emit("news", "a"); err != nil {
		t.Fatal(err)
	}
	<-r.done
	var labels []string
	var offsets []uint64
	var last string
	for range 2 {
		args := c.expectEvent("/", "news")
		labels = append(labels, decodeString(t, args[0]))
		last = decodeString(t, args[len(args)-1])
		seq, ok := offsetSeqOf(last)
		if !ok {
			t.Fatalf("offset %q", last)
		}
		offsets = append(offsets, seq)
	}
	if offsets[0] > offsets[1] {
		t.Errorf("got %q with offsets %d, %d: not in the order of their offsets", labels, offsets[0], offsets[1])
	}
	if !slices.Equal(labels, []string{"a", "b"}) {
		t.Errorf("got %q, want a (stored first), b", labels)
	}

	c.eio.Close()
	c.waitClosed()
	<-gone
	c2 := env.dial(t, engineio.TransportWebSocket)
	missed, reply := c2.connectRecovering(map[string]string{"pid": first.PID, "offset": last})
	if reply.SID != first.SID {
		t.Fatalf("not recovered: sid %s, want %s", reply.SID, first.SID)
	}
	if len(missed) != 0 {
		t.Fatalf("recovering from the last offset it got, the client got %q again", missed)
	}
}

// A session whose socket is not admitted stays for the client to retry
// (as in Node, whose restoreSession does not delete it): a middleware
// refused the socket, or its connection closed before the middleware let
// it in. The retry recovers it, with what was broadcast meanwhile. While
// a CONNECT that recovers a session waits for its middleware, another
// CONNECT with the same private id does not recover it: at most one
// socket does. The code before the fix used the session up at CONNECT.
func TestRecoveryNotAdmittedKeepsSession(t *testing.T) {
	// newFixture holds recovering sockets in their middleware until
	// verdict says whether to let them in.
	newFixture := func(t *testing.T, hooks *recoveryHooks) (f *recoveryFixture, entered chan struct{}, verdict chan error) {
		entered, verdict = make(chan struct{}, 2), make(chan error, 2)
		f = newRecoveryFixture(t, &RecoveryOptions{RunMiddlewares: true}, hooks, func(s *Socket) error {
			if !s.Recovered() {
				return nil
			}
			entered <- struct{}{}
			return <-verdict
		})
		return f, entered, verdict
	}

	t.Run("refused", func(t *testing.T) {
		f, entered, verdict := newFixture(t, nil)
		c := f.reconnect(t)
		<-entered
		// Another CONNECT with the same private id meanwhile: a new session.
		other := f.env.dial(t, engineio.TransportWebSocket)
		f.recover(other)
		var reply recoveryReply
		if p := other.next(); p.Type != parser.Connect || p.Data[0].Decode(&reply) != nil {
			t.Fatalf("got %v %s, want the CONNECT reply", p.Type, show(p))
		}
		if reply.SID == f.sid || reply.PID == f.pid {
			t.Fatalf("a second CONNECT recovered the session being recovered (sid %s pid %s)", reply.SID, reply.PID)
		}
		other.eio.Close()
		f.news(t, "room", "three")
		verdict <- errors.New("not now")
		if p := c.next(); p.Type != parser.ConnectError {
			t.Fatalf("got %v %s, want CONNECT_ERROR", p.Type, show(p))
		}
		// socket.io-client retries on the same connection.
		verdict <- nil
		f.recover(c)
		f.checkRecovered(t, c, []string{"two", "three"}, nil)
	})

	t.Run("connection closed", func(t *testing.T) {
		dropped := make(chan struct{}, 1)
		f, entered, verdict := newFixture(t, &recoveryHooks{dropped: func(*Socket) { dropped <- struct{}{} }})
		// The client is in another namespace too: its disconnect runs
		// once the connection is marked closed.
		auxGone := make(chan struct{})
		f.env.srv.Of("/aux").OnConnection(func(s *Socket) {
			s.OnDisconnect(func(DisconnectReason) { close(auxGone) })
		})
		c := f.env.dial(t, engineio.TransportWebSocket)
		c.connect("/aux", nil)
		f.recover(c)
		<-entered
		c.eio.Close()
		c.waitClosed()
		<-auxGone
		verdict <- nil
		<-dropped
		f.news(t, "room", "three")
		verdict <- nil
		f.checkRecovered(t, f.reconnect(t), []string{"two", "three"}, nil)
	})
}

// A CONNECT for a namespace whose socket the middleware has let in, read
// before that socket is admitted, is ignored, as one read while the
// middleware runs is: here a CONNECT that would recover a kept session,
// as socket.io-client sends one twice. The code before the fix took the
// namespace off the ones being joined before admitting the socket; a
// CONNECT read in between recovered the session, and its socket was
// admitted in place of the first one, which was dropped unanswered.
func TestRecoveryConnectAgainBeforeAdmission(t *testing.T) {
	var armed atomic.Bool
	inWindow, resume := make(chan struct{}), make(chan struct{})
	release := sync.OnceFunc(func() { close(resume) })
	defer release()
	var takes atomic.Int32
	hooks := &recoveryHooks{
		passed: func(*Socket) {
			if armed.CompareAndSwap(true, false) {
				inWindow <- struct{}{}
				<-resume
			}
		},
		taken: func(*Socket) { takes.Add(1) },
	}
	f := newRecoveryFixture(t, &RecoveryOptions{}, hooks, nil)
	f.env.srv.Of("/sync")
	c := f.env.dial(t, engineio.TransportWebSocket)
	armed.Store(true)
	c.send(&parser.Packet{Type: parser.Connect, Namespace: "/"}) // a new socket, through the middleware
	<-inWindow
	f.recover(c)
	c.connect("/sync", nil) // answered once the CONNECT before it has been read
	if n := takes.Load(); n != 0 {
		t.Fatalf("a CONNECT read while the socket of another was being admitted was handled (%d sessions taken)", n)
	}
	release()
	var reply recoveryReply
	if p := c.next(); p.Type != parser.Connect || p.Namespace != "/" || p.Data[0].Decode(&reply) != nil {
		t.Fatalf("got %v %s, want the CONNECT reply of the new socket", p.Type, show(p))
	}
	if reply.SID == f.sid || reply.PID == f.pid {
		t.Fatalf("the new socket has the kept session's sid %s pid %s", reply.SID, reply.PID)
	}
	f.checkRecovered(t, f.reconnect(t), []string{"two"}, nil)
}
