package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestGoContenders builds the Go contender servers as the harness does and
// drives each with the generator's client: an echo comes back to its
// sender, a publish reaches every client of the room, an acknowledgement
// carries the payload and the id it was asked with.
func TestGoContenders(t *testing.T) {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir = filepath.Dir(filepath.Dir(dir)) // bench/, from bench/cmd/bench
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+"/", "./cmd/siogen-server", "./cmd/gsio-server", "./cmd/zsio-server")
	build.Dir = dir
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ran := 0
	for _, c := range contenders(dir, bin) {
		if c.floor || c.name == "node-socket.io" {
			continue // the floors have TestFloors; Node needs npm packages
		}
		ran++
		t.Run(c.name, func(t *testing.T) {
			s, err := start(c, dir)
			if err != nil {
				t.Fatal(err)
			}
			defer s.stop()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cs, expect := echoAndPublish(ctx, t, c.proto, s.addr)
			if err := cs[1].sendAck(ctx, "echoAck", 33, 200); err != nil {
				t.Fatal(err)
			}
			expect(cs[1], 33)
			if cs[1].ackID != 200 {
				t.Fatalf("ack id %d, want 200", cs[1].ackID)
			}
		})
	}
	if ran != 4 { // siogen, siogen-msgpack, googollee, zishang520
		t.Fatalf("%d Go contenders, want 4", ran)
	}
}
