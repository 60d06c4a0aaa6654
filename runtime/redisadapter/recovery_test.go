package redisadapter_test

import (
	"testing"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/redisadapter"
	"github.com/siogen/siogen/runtime/socketio"
	"github.com/siogen/siogen/runtime/socketio/siotest"
)

// The Redis adapter embeds the memory adapter, and with it the two-step
// restore that admits a recovered socket between two broadcasts.
var _ socketio.SessionResumer = (*redisadapter.Adapter)(nil)

// A recovered socket gets what another node broadcast while it was away
// and while its middleware ran (RunMiddlewares): the packet reached this
// node through Redis, was kept, and is among those it missed, computed
// when it is admitted.
func TestRecoveryAcrossNodes(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.name, func(t *testing.T) {
			r := startRedis(t)
			opts := func() *socketio.ServerOptions {
				return &socketio.ServerOptions{Adapter: redisadapter.New(r.Client(t), mode.opts),
					ConnectionStateRecovery: &socketio.RecoveryOptions{RunMiddlewares: true}}
			}
			home, other := siotest.NewServer(t, opts()), siotest.NewServer(t, opts())
			entered := make(chan struct{}, 1)
			release := make(chan struct{})
			home.Use(func(s *socketio.Socket) error {
				if !s.Recovered() {
					return s.Join("room")
				}
				entered <- struct{}{}
				<-release
				return nil
			})
			// witness is in the room on the same node: once it has an event,
			// the node has kept it.
			witness := connect(t, "witness", home)
			mopts := socketio.ManagerOptions{ReconnectionDelay: 200 * time.Millisecond, ReconnectionDelayMax: 300 * time.Millisecond}
			c := home.Connect(t, "/", &siotest.ClientOptions{Transports: []engineio.Transport{engineio.TransportWebSocket}, Manager: mopts})
			got := make(chan string, 8)
			c.On("ev", func(e *socketio.Event) {
				var s string
				_ = e.Decode(&s)
				got <- s
			})
			if mode.opts != nil && mode.opts.Sharded {
				waitShardSubs(t, r, "room", 1)
			}
			if err := other.To("room").Emit("ev", "before"); err != nil {
				t.Fatal(err)
			}
			if s := recv(t, got); s != "before" {
				t.Fatalf("got %q", s)
			}
			recv(t, witness.ev)
			id := c.ID()
			reconnected := make(chan struct{}, 1)
			c.OnConnect(func() { reconnected <- struct{}{} })

			_ = home.Of("/").Socket(id).Conn().Close()
			recv(t, entered) // recovering, in its middleware
			if err := other.To("room").Emit("ev", "during"); err != nil {
				t.Fatal(err)
			}
			if s := recv(t, witness.ev); s != "during" {
				t.Fatalf("witness got %q", s)
			}
			close(release)
			recv(t, reconnected)
			if !c.Recovered() || c.ID() != id {
				t.Fatalf("recovered=%v id %s, want %s", c.Recovered(), c.ID(), id)
			}
			if s := recv(t, got); s != "during" {
				t.Fatalf("got %q, want the missed event", s)
			}
			if err := other.To("room").Emit("ev", "after"); err != nil {
				t.Fatal(err)
			}
			if s := recv(t, got); s != "after" {
				t.Fatalf("got %q, want the live event", s)
			}
		})
	}
}
