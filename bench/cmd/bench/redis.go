package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/siogen/siogen/internal/syncbuf"
)

// redisServer is a redis-server of the harness's own: a free port, no
// persistence (--save ” --appendonly no), a temporary directory, pinned to
// the servers' core.
type redisServer struct {
	cmd  *exec.Cmd
	pid  int
	addr string
	dir  string
	out  syncbuf.Buffer
}

func startRedis() (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server is needed for this scenario (apt-get install redis-server): %w", err)
	}
	dir, err := os.MkdirTemp("", "siogen-bench-redis-")
	if err != nil {
		return nil, err
	}
	var last error
	for try := 0; try < 3; try++ {
		nextPort++
		r := &redisServer{addr: "127.0.0.1:" + strconv.Itoa(nextPort), dir: dir}
		r.cmd = exec.Command("taskset", "-c", *serverCore, bin, "--port", strconv.Itoa(nextPort), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir)
		r.cmd.Stdout, r.cmd.Stderr = &r.out, &r.out
		if err := r.cmd.Start(); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		r.pid = r.cmd.Process.Pid
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if last = r.ping(); last == nil {
				return r, nil
			}
		}
		r.kill()
		last = fmt.Errorf("redis-server on %s: %v: %s", r.addr, last, r.out.String())
	}
	os.RemoveAll(dir)
	return nil, last
}

func (r *redisServer) ping() error {
	c, err := net.DialTimeout("tcp", r.addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING: %q", line)
	}
	return nil
}

func (r *redisServer) kill() {
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
}

func (r *redisServer) stop() {
	r.kill()
	os.RemoveAll(r.dir)
}

// redisFanout: a redis-server and two nodes of the contender on its Redis
// adapter, all pinned to the servers' core; conns clients split half and half
// between the nodes, all in room "r"; client 0 (on node A) publishes rate
// events per second, each delivered to every client of both nodes (node B's
// through Redis). CPU per delivery is both nodes' summed (redis-server's is
// given apart, per publish).
func redisFanout(dir string, c contender, conns int, rate float64, warm, dur time.Duration) (metrics, error) {
	rs, err := startRedis()
	if err != nil {
		return nil, err
	}
	defer rs.stop()
	var nodes []*server
	defer func() {
		for _, s := range nodes {
			s.stop()
		}
	}()
	for range 2 {
		s, err := start(c, dir, "-redis", rs.addr)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := dialAll(ctx, c.proto, nodes[0].addr, conns/2, 32)
	if err != nil {
		return nil, fmt.Errorf("node A: %w", err)
	}
	defer closeAll(a)
	b, err := dialAll(ctx, c.proto, nodes[1].addr, conns-conns/2, 32)
	if err != nil {
		return nil, fmt.Errorf("node B: %w", err)
	}
	defer closeAll(b)
	time.Sleep(300 * time.Millisecond) // room joins and subscriptions settle
	cs := append(append([]*client(nil), a...), b...)
	f := newFanRun(ctx, cs, []int{nodes[0].pid, nodes[1].pid})
	r0 := cpu(rs.pid)
	t0 := time.Now()
	m := f.step(ctx, a[0], rate, warm, dur, 2*time.Second)
	// redis-server's CPU over the whole step (10 ms ticks: coarse at this rate)
	m["redis_pct"] = 100 * (cpu(rs.pid) - r0).Seconds() / time.Since(t0).Seconds()
	return m, nil
}
