// Command cluster runs siogen nodes that share their rooms and broadcasts
// through Redis, and an emitter process that sends to them from outside
// (docs/cluster.md):
//
//	cluster node -addr :3001 -redis localhost:6379      # a node (run several)
//	cluster emit -redis localhost:6379 -to lobby -event news '"hello"'
//	cluster demo -redis localhost:6379                  # 3 nodes + a ticking emitter
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
	"net/http"
	"os"
	"os/signal"
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
// WebSocket handshakes through its Listener (without net/http).
func serve(hs *http.Server, srv *socketio.Server) {
	ln, err := engineio.Listen("tcp", hs.Addr)
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		if err := hs.Serve(srv.Listener(ln)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Fatal(err)
		}
	}()
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
	type node struct {
		hs  *http.Server
		srv *socketio.Server
	}
	var nodes []node
	for _, p := range strings.Split(*ports, ",") {
		srv, h := newNode(rdb, "node-"+p, nil, false)
		hs := &http.Server{Addr: ":" + p, Handler: h}
		serve(hs, srv)
		nodes = append(nodes, node{hs, srv})
		log.Printf("node-%s on :%s", p, p)
	}
	// The emitter: what a worker process would do.
	em := redisadapter.NewEmitter(rdb, nil)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case now := <-t.C:
				if err := em.Emit(context.Background(), "tick", now.Format(time.RFC3339)); err != nil {
					log.Print(err)
				}
			}
		}
	}()
	waitSignal()
	close(stop)
	<-done
	for _, n := range nodes {
		shutdown(n.hs, n.srv)
	}
}
