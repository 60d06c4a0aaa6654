package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/siogen/siogen/internal/syncbuf"
)

// A contender is one server under test.
type contender struct {
	name  string
	proto proto
	floor bool // a floor: echo, fan-out and idle scenarios only (scenario.floors)
	args  func(dir, addr string) []string
	env   []string
}

func contenders(dir, binDir string) []contender {
	goEnv := []string{"GOMAXPROCS=1"}
	return []contender{
		{name: "siogen", proto: pSIO5, env: goEnv, args: func(_, addr string) []string {
			return []string{filepath.Join(binDir, "siogen-server"), "-addr", addr}
		}},
		{name: "siogen-msgpack", proto: pSIO5MP, env: goEnv, args: func(_, addr string) []string {
			return []string{filepath.Join(binDir, "siogen-server"), "-addr", addr, "-parser", "msgpack"}
		}},
		{name: "node-socket.io", proto: pSIO5, args: func(dir, addr string) []string {
			return []string{"node", "--expose-gc", filepath.Join(dir, "node", "server.js"), addr}
		}},
		{name: "googollee", proto: pSIO3, env: goEnv, args: func(_, addr string) []string {
			return []string{filepath.Join(binDir, "gsio-server"), "-addr", addr}
		}},
		{name: "zishang520", proto: pSIO5, env: goEnv, args: func(_, addr string) []string {
			return []string{filepath.Join(binDir, "zsio-server"), "-addr", addr}
		}},
		{name: "raw-tcp", proto: pTCP, floor: true, env: goEnv, args: func(_, addr string) []string {
			return []string{filepath.Join(binDir, "floor-server"), "-addr", addr, "-mode", "tcp"}
		}},
		{name: "plain-ws", proto: pWS, floor: true, env: goEnv, args: func(_, addr string) []string {
			return []string{filepath.Join(binDir, "floor-server"), "-addr", addr, "-mode", "ws"}
		}},
	}
}

// A server is a running contender, pinned to the server core.
type server struct {
	cmd    *exec.Cmd
	pid    int
	addr   string
	stderr syncbuf.Buffer // written by exec's copier, read here
}

// Ports below the ephemeral range (32768+), so no client socket holds one.
var nextPort = 10000 + os.Getpid()%2000*10

// start runs the contender on a fresh port (so that no TIME_WAIT of an earlier
// run is in the way) under `taskset -c <core>` and waits until it accepts.
func start(c contender, dir string, extra ...string) (s *server, err error) {
	for try := 0; try < 3; try++ { // a port somebody else holds: the next one
		if s, err = start1(c, dir, extra...); err == nil {
			return s, nil
		}
	}
	return nil, err
}

func start1(c contender, dir string, extra ...string) (*server, error) {
	nextPort++
	addr := "127.0.0.1:" + strconv.Itoa(nextPort)
	argv := append(c.args(dir, addr), extra...)
	s := &server{addr: addr}
	s.cmd = exec.Command("taskset", append([]string{"-c", *serverCore}, argv...)...)
	s.cmd.Env = append(os.Environ(), c.env...)
	s.cmd.Stderr = &s.stderr
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	s.pid = s.cmd.Process.Pid // taskset execs the server: same pid
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.Close()
			return s, nil
		}
		if time.Now().After(deadline) || strings.Contains(s.stderr.String(), "address already in use") {
			s.stop()
			return nil, fmt.Errorf("%s did not listen on %s: %s", c.name, addr, s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) stop() {
	defer func() { // SIOGEN_BENCH_SERVER_LOG=file keeps the servers' stderr (e.g. with GODEBUG=gctrace=1)
		if f := os.Getenv("SIOGEN_BENCH_SERVER_LOG"); f != "" {
			if w, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				fmt.Fprintf(w, "== %s\n%s", strings.Join(s.cmd.Args, " "), s.stderr.String())
				w.Close()
			}
		}
	}()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

// gc asks the server to collect garbage (SIGUSR2) and gives it time to.
func (s *server) gc() {
	_ = s.cmd.Process.Signal(syscall.SIGUSR2)
	time.Sleep(700 * time.Millisecond)
}

// cpu is the CPU time (user+system) the process has used, from /proc/<pid>/stat.
func cpu(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// the fields after the command name, which is in parentheses
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64) // field 14 utime
	st, _ := strconv.ParseInt(f[12], 10, 64) // field 15 stime
	return time.Duration(ut+st) * time.Second / clkTck
}

const clkTck = 100 // sysconf(_SC_CLK_TCK) on Linux

// rss is the resident set size in bytes, from /proc/<pid>/status.
func rss(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// dialAll connects n clients over WebSocket, workers at a time.
func dialAll(ctx context.Context, p proto, addr string, n, workers int) ([]*client, error) {
	return dialAllT(ctx, p, tWS, addr, n, workers)
}

// dialAllT connects n clients over transport t, workers at a time.
func dialAllT(ctx context.Context, p proto, t tmode, addr string, n, workers int) ([]*client, error) {
	cs := make([]*client, n)
	errs := make(chan error, workers)
	next := make(chan int)
	for w := 0; w < workers; w++ {
		go func() {
			var first error
			for i := range next {
				if first != nil {
					continue
				}
				dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				c, err := dial(dctx, p, t, addr)
				cancel()
				if err != nil {
					first = fmt.Errorf("client %d: %w", i, err)
					continue
				}
				cs[i] = c
			}
			errs <- first
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	var err error
	for w := 0; w < workers; w++ {
		if e := <-errs; e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		closeAll(cs)
		return nil, err
	}
	return cs, nil
}

func closeAll(cs []*client) {
	for _, c := range cs {
		if c != nil {
			c.close()
		}
	}
}
