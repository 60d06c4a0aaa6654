// Command cluster runs siogen nodes that share their rooms and broadcasts
// through Redis, and an emitter process that sends to them from outside
// (docs/cluster.md):
//
//	cluster node -addr :3001 -redis localhost:6379      # a node (run several)
//	cluster emit -redis localhost:6379 -to lobby -event news '"hello"'
//	cluster demo -redis localhost:6379                  # 3 nodes, a client on each, an emitter
//
// A node serves /socket.io/ (namespace "/"): a client emits "join" (room)
// and "say" (room, text); every client of the room, on any node, gets
// "said" (text, from node). Node and Go nodes can be mixed in one cluster
// (same -key, classic or -sharded on every node).
//
// With -control, a node also serves /control/…, the JSON API the interop
// tests use to drive its server side (interop/redis.test.mjs).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/redisadapter"
	"github.com/siogen/siogen/runtime/socketio"
)

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  cluster node [-addr :3001] [-redis localhost:6379] [-key socket.io] [-sharded] [-name NAME] [-control]
  cluster emit [-redis ...] [-key ...] [-nsp /] [-to room,...] [-except room,...] -event NAME [JSON args...]
  cluster emit ... -join ROOM | -leave ROOM | -disconnect | -server-side
  cluster demo [-redis ...] [-ports 3001,3002,3003]`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "node":
		nodeCmd(os.Args[2:])
	case "emit":
		emitCmd(os.Args[2:])
	case "demo":
		demoCmd(os.Args[2:])
	default:
		usage()
	}
}

func nodeCmd(args []string) {
	fs := flag.NewFlagSet("node", flag.ExitOnError)
	addr := fs.String("addr", ":3001", "listen address")
	raddr := fs.String("redis", "localhost:6379", "Redis address")
	key := fs.String("key", "socket.io", "channel prefix")
	sharded := fs.Bool("sharded", false, "sharded adapter (SSUBSCRIBE, Redis 7+)")
	name := fs.String("name", "", "node name (default: the address)")
	control := fs.Bool("control", false, "serve the /control/ test API")
	_ = fs.Parse(args)
	if *name == "" {
		*name = *addr
	}
	rdb := redis.NewClient(&redis.Options{Addr: *raddr})
	defer rdb.Close()
	srv, handler := newNode(rdb, *name, &redisadapter.Options{Key: *key, Sharded: *sharded}, *control)
	hs := &http.Server{Addr: *addr, Handler: handler}
	serve(hs, srv)
	log.Printf("node %s listening on %s (redis %s, sharded=%v)", *name, *addr, *raddr, *sharded)
	waitSignal()
	shutdown(hs, srv)
}

// serve listens on hs.Addr and serves hs in the background, srv's
// WebSocket handshakes through its Listener (without net/http). It returns
// the address it listens on (host:port, host localhost when hs.Addr has
// none).
func serve(hs *http.Server, srv *socketio.Server) string {
	ln, err := engineio.Listen("tcp", hs.Addr)
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		if err := hs.Serve(srv.Listener(ln)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
	host, _, _ := net.SplitHostPort(hs.Addr)
	if host == "" {
		host = "localhost"
	}
	return net.JoinHostPort(host, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
}

func waitSignal() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
}

func shutdown(hs *http.Server, srv *socketio.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.Shutdown(ctx)
	_ = hs.Shutdown(ctx)
}

// newNode returns a node's Socket.IO server and its HTTP handler.
func newNode(rdb redis.UniversalClient, name string, o *redisadapter.Options, control bool) (*socketio.Server, http.Handler) {
	srv := socketio.NewServer(&socketio.ServerOptions{
		Adapter: redisadapter.New(rdb, o),
		Engine:  engineio.Options{CORS: &engineio.CORS{Origins: []string{"*"}}},
	})
	var ctl *controller
	if control {
		ctl = &controller{srv: srv, name: name}
	}
	for _, nsp := range []string{"/", "/custom"} {
		n := srv.Of(nsp)
		n.OnConnection(func(s *socketio.Socket) {
			s.On("join", func(e *socketio.Event) {
				var room string
				_ = e.Decode(&room)
				s.Join(room)
				_ = e.Ack(name)
			})
			s.On("say", func(e *socketio.Event) {
				var room, text string
				_ = e.Decode(&room, &text)
				_ = n.To(room).Emit("said", text, name)
			})
		})
		n.OnServerSideEmit("ping", func(e *socketio.Event) {
			if ctl != nil {
				ctl.record(e)
			}
			if e.WantsAck() {
				_ = e.Ack("pong from " + name)
			}
		})
		n.OnServerSideEmit("hello", func(e *socketio.Event) {
			if ctl != nil {
				ctl.record(e)
			}
		})
	}
	// Dynamic namespaces (/dyn-1…), which the interop tests connect to on
	// the Node node only.
	srv.OfRegexp(regexp.MustCompile(`^/dyn-\d+$`)).OnConnection(func(s *socketio.Socket) {
		s.On("join", func(e *socketio.Event) {
			var room string
			_ = e.Decode(&room)
			s.Join(room)
			_ = e.Ack(name)
		})
	})
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", srv)
	if ctl != nil {
		mux.Handle("/control/", ctl)
	}
	return srv, mux
}

// controller is the /control/ API of a node in test mode.
type controller struct {
	srv  *socketio.Server
	name string
	mu   sync.Mutex
	sse  []any
}

func (c *controller) record(e *socketio.Event) {
	args := make([]any, len(e.Args))
	for i, a := range e.Args {
		_ = a.Decode(&args[i])
	}
	c.mu.Lock()
	c.sse = append(c.sse, append([]any{e.Name}, args...))
	c.mu.Unlock()
}

// controlReq is the body of every /control/ call.
type controlReq struct {
	Nsp       string   `json:"nsp"`
	Rooms     []string `json:"rooms"`
	Except    []string `json:"except"`
	Event     string   `json:"event"`
	Args      []any    `json:"args"`
	TimeoutMs int      `json:"timeoutMs"`
	Binary    string   `json:"binary"` // appended as []byte when set
	Volatile  bool     `json:"volatile"`
	Close     bool     `json:"close"`
}

func (c *controller) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req controlReq
	if r.Method == http.MethodPost {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	if req.Nsp == "" {
		req.Nsp = "/"
	}
	if req.Binary != "" {
		req.Args = append(req.Args, []byte(req.Binary))
	}
	if r.URL.Path == "/control/broadcastEvent" {
		// What a generated emitter calls: it does not create the
		// namespace on this node.
		err := c.srv.BroadcastEvent(r.Context(), req.Nsp, socketio.BroadcastOptions{Rooms: req.Rooms, Except: req.Except,
			Flags: socketio.BroadcastFlags{Volatile: req.Volatile}}, req.Event, req.Args...)
		w.Header().Set("Content-Type", "application/json")
		res := map[string]any{"result": c.srv.Namespaces()}
		if err != nil {
			res["error"] = err.Error()
		}
		_ = json.NewEncoder(w).Encode(res)
		return
	}
	nsp := c.srv.Of(req.Nsp)
	op := nsp.Except().To(req.Rooms...).Except(req.Except...)
	if req.Volatile {
		op = op.Volatile()
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	var out any
	var err error
	switch strings.TrimPrefix(r.URL.Path, "/control/") {
	case "emit":
		err = op.Emit(req.Event, req.Args...)
	case "emitWithAck":
		var res []socketio.AckResult
		res, err = op.Timeout(time.Duration(req.TimeoutMs)*time.Millisecond).EmitWithAck(ctx, req.Event, req.Args...)
		acks := []any{}
		for _, a := range res {
			var v any
			if len(a.Args) > 0 {
				_ = a.Args[0].Decode(&v)
			}
			acks = append(acks, v)
		}
		out = acks
	case "fetchSockets":
		var socks []socketio.SocketInfo
		socks, err = op.FetchSockets(ctx)
		list := []any{}
		for _, s := range socks {
			list = append(list, map[string]any{"id": s.ID, "rooms": s.Rooms, "address": s.Handshake.Address})
		}
		out = list
	case "allRooms":
		out, err = nsp.AllRooms(ctx)
	case "serverCount":
		out, err = nsp.Adapter().ServerCount(ctx)
	case "socketsJoin":
		err = op.SocketsJoin(req.Args[0].(string))
	case "socketsLeave":
		err = op.SocketsLeave(req.Args[0].(string))
	case "disconnectSockets":
		err = op.DisconnectSockets(req.Close)
	case "serverSideEmit":
		err = nsp.ServerSideEmit(ctx, req.Event, req.Args...)
	case "serverSideEmitWithAck":
		var res [][]parser.Value
		res, err = nsp.ServerSideEmitWithAck(ctx, req.Event, req.Args...)
		acks := []any{}
		for _, a := range res {
			var v any
			if len(a) > 0 {
				_ = a[0].Decode(&v)
			}
			acks = append(acks, v)
		}
		out = acks
	case "received":
		c.mu.Lock()
		out = append([]any{}, c.sse...)
		c.sse = nil
		c.mu.Unlock()
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	res := map[string]any{"result": out}
	if err != nil {
		res["error"] = err.Error()
	}
	_ = json.NewEncoder(w).Encode(res)
}

func emitCmd(args []string) {
	fs := flag.NewFlagSet("emit", flag.ExitOnError)
	raddr := fs.String("redis", "localhost:6379", "Redis address")
	key := fs.String("key", "socket.io", "channel prefix")
	nsp := fs.String("nsp", "/", "namespace")
	to := fs.String("to", "", "comma-separated rooms")
	except := fs.String("except", "", "comma-separated rooms to leave out")
	event := fs.String("event", "", "event name")
	joinRoom := fs.String("join", "", "make the selected sockets join this room")
	leaveRoom := fs.String("leave", "", "make the selected sockets leave this room")
	disconnect := fs.Bool("disconnect", false, "disconnect the selected sockets")
	serverSide := fs.Bool("server-side", false, "serverSideEmit the event to the nodes")
	_ = fs.Parse(args)
	rdb := redis.NewClient(&redis.Options{Addr: *raddr})
	defer rdb.Close()
	em := redisadapter.NewEmitter(rdb, &redisadapter.EmitterOptions{Key: *key}).Of(*nsp)
	if *to != "" {
		em = em.To(strings.Split(*to, ",")...)
	}
	if *except != "" {
		em = em.Except(strings.Split(*except, ",")...)
	}
	var vals []any
	for _, a := range fs.Args() {
		var v any
		if err := json.Unmarshal([]byte(a), &v); err != nil {
			log.Fatalf("argument %q is not JSON: %v", a, err)
		}
		vals = append(vals, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var err error
	switch {
	case *joinRoom != "":
		err = em.SocketsJoin(ctx, *joinRoom)
	case *leaveRoom != "":
		err = em.SocketsLeave(ctx, *leaveRoom)
	case *disconnect:
		err = em.DisconnectSockets(ctx, true)
	case *event == "":
		usage()
	case *serverSide:
		err = em.ServerSideEmit(ctx, *event, vals...)
	default:
		err = em.Emit(ctx, *event, vals...)
	}
	if err != nil {
		log.Fatal(err)
	}
}

func demoCmd(args []string) {
	fs := flag.NewFlagSet("demo", flag.ExitOnError)
	raddr := fs.String("redis", "localhost:6379", "Redis address")
	ports := fs.String("ports", "3001,3002,3003", "ports of the nodes")
	_ = fs.Parse(args)
	rdb := redis.NewClient(&redis.Options{Addr: *raddr})
	defer rdb.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := demo(ctx, rdb, strings.Split(*ports, ","), 2*time.Second, log.Printf); err != nil {
		log.Fatal(err)
	}
}

// demo runs a node on each port, a Go client on each node (all in room
// lobby) and an emitter, until ctx ends. Every period the emitter sends tick
// to the room, and one client after the other says something through its
// own node: what each client prints (through logf) shows a broadcast made on
// one node, or from outside, reaching the clients of every node.
func demo(ctx context.Context, rdb redis.UniversalClient, ports []string, every time.Duration, logf func(string, ...any)) error {
	type node struct {
		hs  *http.Server
		srv *socketio.Server
	}
	var nodes []node
	defer func() {
		for _, n := range nodes {
			shutdown(n.hs, n.srv)
		}
	}()
	var clients []*socketio.ClientSocket
	defer func() {
		for _, c := range clients {
			_ = c.Disconnect()
		}
	}()
	for _, p := range ports {
		srv, h := newNode(rdb, "node-"+p, nil, false)
		hs := &http.Server{Addr: ":" + p, Handler: h}
		addr := serve(hs, srv)
		nodes = append(nodes, node{hs, srv})
		name := "node-" + p
		logf("%s on %s", name, addr)
		c, err := demoClient(ctx, "http://"+addr, "client@"+name, logf)
		if err != nil {
			return err
		}
		clients = append(clients, c)
	}
	// The emitter: what a worker process would do (python-socketio's
	// external emit). It reaches the clients of every node without being one.
	em := redisadapter.NewEmitter(rdb, nil)
	logf("every %v: the emitter sends tick to room lobby, and a client says hello through its node; Ctrl-C stops", every)
	t := time.NewTicker(every)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			if err := em.To("lobby").Emit(ctx, "tick", now.Format(time.TimeOnly)); err != nil && ctx.Err() == nil {
				logf("emitter: %v", err)
			}
			c := clients[i%len(clients)]
			if err := c.Emit("say", "lobby", fmt.Sprintf("hello #%d", i)); err != nil {
				logf("say: %v", err)
			}
		}
	}
}

// demoClient connects a Go client named name to the node at url, joins
// room lobby and prints (through logf) what it receives there.
func demoClient(ctx context.Context, url, name string, logf func(string, ...any)) (*socketio.ClientSocket, error) {
	m := socketio.NewManager(url, nil)
	s := m.Socket("/", nil)
	s.On("tick", func(e *socketio.Event) {
		var at string
		_ = e.Decode(&at)
		logf("%s: tick %s (from the emitter)", name, at)
	})
	s.On("said", func(e *socketio.Event) {
		var text, node string
		_ = e.Decode(&text, &node)
		logf("%s: said %q (broadcast by %s)", name, text, node)
	})
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.Connect(ctx); err != nil {
		_ = m.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ack, err := s.EmitWithAck(ctx, "join", "lobby")
	if err != nil {
		_ = m.Close()
		return nil, fmt.Errorf("%s: join: %w", name, err)
	}
	var node string
	if len(ack) > 0 {
		_ = ack[0].Decode(&node)
	}
	logf("%s: joined lobby on %s", name, node)
	return s, nil
}
