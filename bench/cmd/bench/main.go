// Command bench is siogen's benchmark suite: it builds and starts each
// contender server as its own process pinned to one core, drives it from a
// load generator of its own (Engine.IO v4 / Socket.IO v5 over WebSocket,
// written here) pinned to the other core, and writes RESULTS.md and PNG plots.
//
//	cd bench && go run ./cmd/bench            # the full suite (5 rounds; prints its estimate)
//	go run ./cmd/bench -rounds 1 -quick       # a smoke run
//
// See bench/README.md for the method.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

var (
	rounds     = flag.Int("rounds", 5, "rounds; the contenders are interleaved within each")
	quick      = flag.Bool("quick", false, "short windows and small N, to check the harness")
	serverCore = flag.String("server-core", "0", "CPU the servers are pinned to")
	genCore    = flag.String("gen-core", "1", "CPU the load generator is pinned to")
	idleN      = flag.Int("idle-n", 10000, "connections of the idle/connect scenario")
	only       = flag.String("only", "", "comma-separated contenders to run (default all)")
	scenOnly   = flag.String("scenarios", "", "comma-separated scenarios to run (default all)")
	outDir     = flag.String("out", ".", "where RESULTS.md, results.json and plots/ go")
	from       = flag.String("from", "", "only rewrite RESULTS.md and the plots from this results.json")
	profile    = flag.Bool("profile", false, "write CPU profiles of the siogen servers to prof/ (and heap profiles in the echo and idle scenarios)")
)

var benchDir string // bench/, where the harness runs

// A scenario is one measurement, run for each contender it applies to.
type scenario struct {
	name, title string
	floors      bool // the floors take part
	run         func(s *server, c contender) (metrics, error)
	est         time.Duration // about how long one contender's run takes (full run, not -quick)
	// skip leaves out contenders the scenario cannot drive (nil: none but
	// the floors unless floors).
	skip func(c contender) bool
	// own: run starts the servers it needs itself (s is nil).
	own bool
}

func (sc scenario) applies(c contender) bool {
	return (!c.floor || sc.floors) && (sc.skip == nil || !sc.skip(c))
}

// eio4Only: the load generator speaks long-polling in Engine.IO v4 only.
func eio4Only(c contender) bool { return c.proto != pSIO5 && c.proto != pSIO5MP }

func scenarios() []scenario {
	warm, dur := time.Second, 3*time.Second
	satWarm, satDur := 300*time.Millisecond, 1500*time.Millisecond // each saturation step
	n := *idleN
	if *quick {
		warm, dur, n = 300*time.Millisecond, time.Second, 1000
		satWarm, satDur = 200*time.Millisecond, 700*time.Millisecond
	}
	const sec, ms = time.Second, time.Millisecond
	return []scenario{
		{name: "echo-100x100", title: "Echo RTT, 100 connections × 100 echoes/s (10k/s), 64 B, open loop", floors: true, est: 4500 * ms,
			run: func(s *server, c contender) (metrics, error) {
				return echoOpenLoop(s, c.proto, tWS, 100, 100, payloadSize, warm, dur)
			}},
		{name: "echo-1kx10", title: "Echo RTT, 1000 connections × 10 echoes/s (10k/s), 64 B, open loop", floors: true, est: 4500 * ms,
			run: func(s *server, c contender) (metrics, error) {
				return echoOpenLoop(s, c.proto, tWS, 1000, 10, payloadSize, warm, dur)
			}},
		{name: "echo-100x100-1KiB", title: "Echo RTT, 100 connections × 100 echoes/s (10k/s), 1 KiB, open loop", floors: true, est: 4500 * ms,
			run: func(s *server, c contender) (metrics, error) {
				return echoOpenLoop(s, c.proto, tWS, 100, 100, 1024, warm, dur)
			}},
		{name: "echo-1kx10-1KiB", title: "Echo RTT, 1000 connections × 10 echoes/s (10k/s), 1 KiB, open loop", floors: true, est: 4500 * ms,
			run: func(s *server, c contender) (metrics, error) {
				return echoOpenLoop(s, c.proto, tWS, 1000, 10, 1024, warm, dur)
			}},
		{name: "throughput-500", title: "Max echo throughput, 500 connections, closed loop (1 in flight each), 64 B", floors: true, est: 4500 * ms,
			run: func(s *server, c contender) (metrics, error) { return throughput(s, c.proto, 500, warm, dur, false) }},
		{name: "throughput-ack-500", title: "Max acknowledgement throughput, 500 connections, closed loop: emit echoAck with an ack id, wait for the ACK, 64 B", est: 4500 * ms,
			run: func(s *server, c contender) (metrics, error) { return throughput(s, c.proto, 500, warm, dur, true) }},
		{name: "fanout-1k", title: "Fan-out: 20 events/s to one room of 1000 clients (20k deliveries/s), 64 B", floors: true, est: 5 * sec,
			run: func(s *server, c contender) (metrics, error) { return fanout(s, c.proto, 1000, 20, warm, dur) }},
		{name: "fanout-5k", title: "Fan-out: 4 events/s to one room of 5000 clients (20k deliveries/s), 64 B", floors: true, est: 7 * sec,
			run: func(s *server, c contender) (metrics, error) { return fanout(s, c.proto, 5000, 4, warm, dur) }},
		{name: "fanout-10k", title: "Fan-out: 2 events/s to one room of 10 000 clients (20k deliveries/s), 64 B", floors: true, est: 9 * sec,
			run: func(s *server, c contender) (metrics, error) { return fanout(s, c.proto, 10000, 2, warm, dur) }},
		{name: "fanout-10kx5", title: "Fan-out, the issue's target: 5 events/s to one room of 10 000 clients (50k deliveries/s), 64 B", floors: true, est: 9 * sec,
			run: func(s *server, c contender) (metrics, error) { return fanout(s, c.proto, 10000, 5, warm, dur) }},
		{name: "fanout-sat-1k", title: "Fan-out saturation: one room of 1000 clients, the publish rate raised step by step (10k deliveries/s, ×1.5 a step) until p99 ≥ 500 ms or a delivery is lost", floors: true, est: 13 * sec,
			run: func(s *server, c contender) (metrics, error) {
				return fanoutSaturation(s, c.proto, 1000, satWarm, satDur)
			}},
		{name: "fanout-sat-10k", title: "Fan-out saturation: one room of 10 000 clients, the publish rate raised step by step (10k deliveries/s, ×1.5 a step) until p99 ≥ 500 ms or a delivery is lost", floors: true, est: 15 * sec,
			run: func(s *server, c contender) (metrics, error) {
				return fanoutSaturation(s, c.proto, 10000, satWarm, satDur)
			}},
		{name: "polling-echo-100x10", title: "Echo RTT over HTTP long-polling (no upgrade), 100 connections × 10 echoes/s (1k/s), 64 B, open loop", est: 4500 * ms, skip: eio4Only,
			run: func(s *server, c contender) (metrics, error) {
				return echoOpenLoop(s, c.proto, tPolling, 100, 10, payloadSize, warm, dur)
			}},
		{name: "redis-2node", title: "Cross-node fan-out on the Redis adapter: 2 nodes + redis-server on the servers' core, 1000 clients split between the nodes in room `r`, 20 events/s published on node A (20k deliveries/s, half of them through Redis), 64 B", est: 10 * sec,
			own: true, skip: func(c contender) bool { return c.name != "siogen" && c.name != "node-socket.io" },
			run: func(_ *server, c contender) (metrics, error) { return redisFanout(benchDir, c, 1000, 20, warm, dur) }},
		{name: "idle-connect", title: fmt.Sprintf("Connect %d clients (32 at a time), then idle RSS after GC; then %d more via polling→WebSocket upgrade", n, n), floors: true, est: 20 * sec,
			run: func(s *server, c contender) (metrics, error) { return idle(s, c.proto, n, 32) }},
	}
}

func main() {
	flag.Parse()
	log.SetFlags(log.Ltime)
	if os.Getenv("SIOGEN_BENCH_PINNED") == "" {
		pinSelf()
	}
	dir, err := os.Getwd()
	if err != nil {
		log.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil || filepath.Base(dir) != "bench" {
		log.Fatal("run from the bench/ directory: cd bench && go run ./cmd/bench")
	}
	benchDir = dir
	binDir := filepath.Join(dir, "bin")
	if *from == "" {
		must(run(dir, "go", "build", "-o", binDir+"/", "./cmd/siogen-server", "./cmd/gsio-server", "./cmd/zsio-server", "./cmd/floor-server"))
		_, err1 := os.Stat(filepath.Join(dir, "node", "node_modules", "socket.io"))
		_, err2 := os.Stat(filepath.Join(dir, "node", "node_modules", "@socket.io", "redis-adapter"))
		if err1 != nil || err2 != nil {
			must(run(filepath.Join(dir, "node"), "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"))
		}
	}

	all := contenders(dir, binDir)
	if *only != "" {
		all = slices.DeleteFunc(all, func(c contender) bool { return !slices.Contains(strings.Split(*only, ","), c.name) })
	}
	scens := scenarios()
	if *scenOnly != "" {
		scens = slices.DeleteFunc(scens, func(s scenario) bool { return !slices.Contains(strings.Split(*scenOnly, ","), s.name) })
	}
	must(os.MkdirAll(*outDir, 0o755))
	if *from != "" {
		b, err := os.ReadFile(*from)
		must(err)
		res := &results{}
		must(json.Unmarshal(b, res))
		*quick, *idleN = res.Quick, res.IdleN
		scens = slices.DeleteFunc(scenarios(), func(s scenario) bool { // the titles with the saved -quick and -idle-n
			return *scenOnly != "" && !slices.Contains(strings.Split(*scenOnly, ","), s.name)
		})
		report(res, scens, all)
		return
	}
	res := &results{Started: time.Now(), Rounds: *rounds, Quick: *quick, IdleN: *idleN, Data: map[string]map[string][]metrics{}}
	if *quick {
		res.IdleN = 1000 // what scenarios() uses with -quick
	}
	res.Load0 = loadavg()
	res.Env = environment()
	var est time.Duration
	for _, sc := range scens {
		for _, c := range all {
			if sc.applies(c) {
				est += sc.est
			}
		}
	}
	if *quick { // shorter windows, but the 10k connects stay
		est = est * 3 / 5
	}
	log.Printf("%d scenarios × %d contenders × %d rounds: about %s (%s a round, estimated)", len(scens), len(all), *rounds,
		(est * time.Duration(*rounds)).Round(time.Second), est.Round(time.Second))
	for r := 0; r < *rounds; r++ {
		r0 := time.Now()
		for _, sc := range scens {
			order := slices.Clone(all)
			k := r % len(order) // interleaved, and a different one goes first each round
			order = append(order[k:], order[:k]...)
			for _, c := range order {
				if !sc.applies(c) {
					continue
				}
				t0 := time.Now()
				m, err := runOne(dir, sc, c)
				took := time.Since(t0).Round(100 * time.Millisecond)
				if err != nil {
					log.Printf("round %d %s %s (%s): %v", r+1, sc.name, c.name, took, err)
					res.Errors = append(res.Errors, fmt.Sprintf("round %d, %s, %s: %v", r+1, sc.name, c.name, err))
					m = nil
				} else {
					log.Printf("round %d %-14s %-15s (%s) %s", r+1, sc.name, c.name, took, m.brief())
				}
				if res.Data[sc.name] == nil {
					res.Data[sc.name] = map[string][]metrics{}
				}
				for len(res.Data[sc.name][c.name]) < r {
					res.Data[sc.name][c.name] = append(res.Data[sc.name][c.name], nil)
				}
				res.Data[sc.name][c.name] = append(res.Data[sc.name][c.name], m)
			}
		}
		res.Loads = append(res.Loads, loadavg())
		res.Finished = time.Now()
		save(res)
		if left := *rounds - r - 1; left > 0 {
			log.Printf("round %d took %s; about %s left", r+1, time.Since(r0).Round(time.Second), (time.Since(r0) * time.Duration(left)).Round(time.Second))
		}
	}
	res.Finished = time.Now()
	save(res)
	report(res, scens, all)
}

// save writes results.json (after each round too, so that a run cut short
// keeps its finished rounds: -from rewrites the report from it).
func save(res *results) {
	b, err := json.MarshalIndent(res, "", " ")
	must(err)
	must(os.WriteFile(filepath.Join(*outDir, "results.json"), b, 0o644))
}

func report(res *results, scens []scenario, all []contender) {
	plots, err := writePlots(res, scens, all, filepath.Join(*outDir, "plots"))
	if err != nil {
		log.Printf("plots: %v", err)
	}
	must(writeReport(res, scens, all, plots, filepath.Join(*outDir, "RESULTS.md")))
	log.Printf("wrote %s (%s)", filepath.Join(*outDir, "RESULTS.md"), time.Since(res.Started).Round(time.Second))
}

func runOne(dir string, sc scenario, c contender) (metrics, error) {
	var extra []string
	if *profile && strings.HasPrefix(c.name, "siogen") && strings.HasPrefix(sc.name, "echo") {
		os.MkdirAll(filepath.Join(dir, "prof"), 0o755)
		extra = []string{"-cpuprofile", filepath.Join(dir, "prof", c.name+"-"+sc.name+".pprof"),
			"-memprofile", filepath.Join(dir, "prof", c.name+"-"+sc.name+".heap")}
	}
	if *profile && strings.HasPrefix(c.name, "siogen") && !strings.HasPrefix(sc.name, "echo") {
		os.MkdirAll(filepath.Join(dir, "prof"), 0o755)
		extra = []string{"-cpuprofile", filepath.Join(dir, "prof", c.name+"-"+sc.name+".pprof")}
		if strings.HasPrefix(sc.name, "idle") {
			extra = append(extra, "-memprofile", filepath.Join(dir, "prof", c.name+"-"+sc.name+".heap"))
		}
	}
	if sc.own {
		return finite(sc.run(nil, c))
	}
	s, err := start(c, dir, extra...)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	return finite(sc.run(s, c))
}

// finite drops NaN and ±Inf figures (a ratio over zero samples): JSON has
// none, and a missing figure reads as "–" in the report.
func finite(m metrics, err error) (metrics, error) {
	for k, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(m, k)
		}
	}
	return m, err
}

// pinSelf raises the open-files limit (the idle scenario holds 10k sockets
// on each side) and re-executes the harness pinned to the generator's core.
func pinSelf() {
	lim := &syscall.Rlimit{Cur: 1 << 20, Max: 1 << 20}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, lim); err != nil {
		lim = &syscall.Rlimit{}
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, lim)
		lim.Cur = lim.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, lim)
	}
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	taskset, err := exec.LookPath("taskset")
	if err != nil {
		log.Fatal("taskset (util-linux) is needed to pin the processes: ", err)
	}
	env := append(os.Environ(), "SIOGEN_BENCH_PINNED=1")
	log.Fatal(syscall.Exec(taskset, append([]string{"taskset", "-c", *genCore, self}, os.Args[1:]...), env))
}

func run(dir, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stderr, os.Stderr
	return cmd.Run()
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func (m metrics) brief() string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%.4g ", k, m[k])
	}
	return b.String()
}

type results struct {
	Started, Finished time.Time
	Rounds            int
	Quick             bool
	IdleN             int
	Load0             string
	Loads             []string
	Errors            []string
	Data              map[string]map[string][]metrics // scenario → contender → per round
	// Env is what the run was measured with, taken when it starts, so that
	// a report made again from results.json (-from) says so and not what
	// the tree and the machine are by then.
	Env *runEnv `json:",omitempty"`
}

// runEnv is the environment rows of RESULTS.md's header.
type runEnv struct {
	Machine, Pinning, Siogen, Node, Alternatives, Floors string
}
