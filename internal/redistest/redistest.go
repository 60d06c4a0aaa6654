// Package redistest runs a real redis-server for a test: on a free port, in
// the test's temporary directory, without persistence, stopped when the test
// ends. A missing redis-server fails the test (CI installs it).
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// A Server is a redis-server process of one test.
type Server struct {
	t    testing.TB
	port int
	dir  string
	cmd  *exec.Cmd
	args []string // more redis-server arguments
	// Addr is the server's address, 127.0.0.1:port.
	Addr string
}

// Start starts redis-server for t and waits until it answers; it is
// stopped when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t)
}

func start(t testing.TB, args ...string) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Fatalf("redis-server not found in PATH (install it: apt-get install redis-server): %v", err)
	}
	port := freePort(t)
	r := &Server{t: t, port: port, dir: t.TempDir(), args: args, Addr: "127.0.0.1:" + strconv.Itoa(port)}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// A Cluster is a Redis Cluster of one test: masters only, no replicas.
type Cluster struct {
	// Servers are the cluster's masters.
	Servers []*Server
}

// StartCluster starts a Redis Cluster of n masters sharing the slots
// evenly and waits until every one of them reports it ready and has a
// connected link to every other (clusterLinked); the servers are stopped
// when t ends.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	c := &Cluster{Servers: make([]*Server, n)}
	bus := make([]int, n)
	for i := range c.Servers {
		bus[i] = freePort(t)
		c.Servers[i] = start(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-port", strconv.Itoa(bus[i]))
	}
	ctx := context.Background()
	for i, s := range c.Servers {
		rdb := redis.NewClient(&redis.Options{Addr: s.Addr})
		err := rdb.ClusterAddSlotsRange(ctx, i*16384/n, (i+1)*16384/n-1).Err()
		if err == nil && i > 0 {
			err = rdb.Do(ctx, "cluster", "meet", "127.0.0.1", c.Servers[0].port, bus[0]).Err()
		}
		rdb.Close()
		if err != nil {
			t.Fatalf("cluster setup of %s: %v", s.Addr, err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, s := range c.Servers {
		rdb := redis.NewClient(&redis.Options{Addr: s.Addr})
		for {
			info, err := rdb.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") &&
				strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(n)+"\r\n") {
				var nodes string
				nodes, err = rdb.ClusterNodes(ctx).Result()
				if err == nil && clusterLinked(nodes, n) {
					break
				}
				info += "\n" + nodes
			}
			if time.Now().After(deadline) {
				rdb.Close()
				t.Fatalf("Redis Cluster not ready on %s: %v\n%s", s.Addr, err, info)
			}
			time.Sleep(50 * time.Millisecond)
		}
		rdb.Close()
	}
	return c
}

// clusterLinked reports whether CLUSTER NODES output lists n nodes, none
// in a handshake, all with their link connected. A server relays a classic
// PUBLISH only over the links it has: one still knowing another through
// gossip alone (cluster_known_nodes counts it) drops what its subscribers
// should get, and a test that publishes there loses a message now and
// then (TestRedisClusterClassic's AllRooms got no answer under load).
func clusterLinked(nodes string, n int) bool {
	linked := 0
	for _, line := range strings.Split(strings.TrimSpace(nodes), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 || strings.Contains(f[2], "handshake") || strings.Contains(f[2], "noaddr") || f[7] != "connected" {
			return false
		}
		linked++
	}
	return linked == n
}

// Client returns a go-redis cluster client of the cluster, closed when t
// ends.
func (c *Cluster) Client(t testing.TB) *redis.ClusterClient {
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{c.Servers[0].Addr}, MaxRetries: 1,
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Start (re)starts the server on its port and waits until it answers.
func (r *Server) Start() {
	r.t.Helper()
	args := append([]string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir}, r.args...)
	r.cmd = exec.Command("redis-server", args...)
	r.cmd.Stdout, r.cmd.Stderr = nil, os.Stderr
	if err := r.cmd.Start(); err != nil {
		r.t.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", r.Addr, 100*time.Millisecond)
		if err == nil {
			fmt.Fprint(c, "PING\r\n")
			buf := make([]byte, 16)
			c.SetReadDeadline(time.Now().Add(time.Second))
			n, _ := c.Read(buf)
			c.Close()
			if string(buf[:n]) == "+PONG\r\n" {
				return
			}
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on %s did not start: %v", r.Addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server.
func (r *Server) Stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// Client returns a go-redis client of the server, closed when t ends (so
// after what t registered later, such as the servers that use it).
func (r *Server) Client(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: r.Addr, MaxRetries: 1,
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c
}
