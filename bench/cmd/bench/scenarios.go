package main

import (
	"context"
	"log"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// metrics of one scenario run of one contender.
type metrics map[string]float64

// lat collects latencies, one slice per goroutine, merged at the end.
type lat struct {
	mu  sync.Mutex
	all []int64
}

func (l *lat) add(s []int64) { l.mu.Lock(); l.all = append(l.all, s...); l.mu.Unlock() }

func (l *lat) into(m metrics) {
	slices.Sort(l.all)
	q := func(p float64) float64 {
		if len(l.all) == 0 {
			return 0
		}
		i := int(p * float64(len(l.all)))
		if i >= len(l.all) {
			i = len(l.all) - 1
		}
		return float64(l.all[i]) / 1e3 // µs
	}
	m["p50"], m["p90"], m["p99"], m["max"] = q(0.50), q(0.90), q(0.99), q(1)
	m["samples"] = float64(len(l.all))
}

func selfCPU() time.Duration { return cpu(os.Getpid()) }

func sleepUntil(t int64) {
	if d := time.Duration(t - now()); d > 0 {
		time.Sleep(d)
	}
}

// window is the measured part of a run, in stamps (ns from epoch): a warm-up
// before it, a grace period after it for the last replies.
type window struct{ start, from, end int64 }

func newWindow(warm, dur time.Duration) window {
	s := now() + int64(100*time.Millisecond)
	return window{start: s, from: s + int64(warm), end: s + int64(warm+dur)}
}

func (w window) in(stamp int64) bool { return stamp >= w.from && stamp < w.end }

// cpuWindow reads the server's and the generator's CPU at the window's edges.
func cpuWindow(pid int, w window) (srv, self time.Duration) {
	sleepUntil(w.from)
	s0, g0 := cpu(pid), selfCPU()
	sleepUntil(w.end)
	return cpu(pid) - s0, selfCPU() - g0
}

// echoOpenLoop: conns clients each send rate echoes per second, open loop,
// each starting at a random phase; latency is taken from the intended send
// time, so a stalled sender or server shows up in it (no coordinated omission).
func echoOpenLoop(s *server, p proto, t tmode, conns int, rate float64, size int, warm, dur time.Duration) (metrics, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs, err := dialAllT(ctx, p, t, s.addr, conns, 32)
	if err != nil {
		return nil, err
	}
	defer closeAll(cs)
	for _, c := range cs {
		c.setPayload(size)
	}
	interval := int64(float64(time.Second) / rate)
	w := newWindow(warm, dur)
	var sent, recvd atomic.Int64
	var l lat
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() { // sender
			defer wg.Done()
			for next := w.start + rand.Int64N(interval); next < w.end; next += interval {
				sleepUntil(next)
				if c.send(ctx, "echo", next) != nil {
					return
				}
				if w.in(next) {
					sent.Add(1)
				}
			}
		}()
		go func() { // receiver
			var mine []int64
			defer func() { l.add(mine) }()
			for {
				st, err := c.recv(ctx)
				if err != nil {
					return
				}
				if w.in(st) {
					mine = append(mine, now()-st)
					recvd.Add(1)
				}
			}
		}()
	}
	scpu, gcpu := cpuWindow(s.pid, w)
	wg.Wait()
	for deadline := time.Now().Add(2 * time.Second); recvd.Load() < sent.Load() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	closeAll(cs)
	cancel()
	time.Sleep(50 * time.Millisecond) // receivers hand in their samples
	m := metrics{}
	l.mu.Lock()
	l.into(m)
	l.mu.Unlock()
	n := float64(sent.Load())
	m["sent"], m["lost"] = n, n-float64(recvd.Load())
	m["cpu_us"] = float64(scpu.Microseconds()) / n
	m["srv_pct"] = 100 * scpu.Seconds() / dur.Seconds()
	m["gen_pct"] = 100 * gcpu.Seconds() / dur.Seconds()
	return m, nil
}

// throughput: conns clients each send an echo, wait for it and send the next
// (closed loop): the most the server does with conns connections. With ack,
// each client emits "echoAck" asking for an acknowledgement (ids 1, 2, … per
// connection) and waits for the ACK with that id instead of an "echo" event.
func throughput(s *server, p proto, conns int, warm, dur time.Duration, ack bool) (metrics, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs, err := dialAll(ctx, p, s.addr, conns, 32)
	if err != nil {
		return nil, err
	}
	defer closeAll(cs)
	w := newWindow(warm, dur)
	var done, badAcks, failed atomic.Int64
	var l lat
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []int64
			defer func() { l.add(mine) }()
			sleepUntil(w.start)
			for id := int64(1); ; id++ {
				t := now()
				if t >= w.end {
					return
				}
				var st int64
				var err error
				if ack {
					err = c.sendAck(ctx, "echoAck", t, id)
				} else {
					err = c.send(ctx, "echo", t)
				}
				if err == nil {
					st, err = c.recv(ctx)
				}
				if err != nil {
					if now() < w.end {
						failed.Add(1) // a client that stops early: a harness or server fault, not load
					}
					return
				}
				if ack && c.ackID != id {
					badAcks.Add(1)
					continue
				}
				if w.in(st) {
					done.Add(1)
					mine = append(mine, now()-st)
				}
			}
		}()
	}
	scpu, gcpu := cpuWindow(s.pid, w)
	go func() { time.Sleep(3 * time.Second); closeAll(cs) }() // a stuck client
	wg.Wait()
	m := metrics{}
	l.into(m)
	n := float64(done.Load())
	if ack {
		m["bad_acks"] = float64(badAcks.Load())
	}
	m["failed_clients"] = float64(failed.Load())
	m["msgs_per_s"] = n / dur.Seconds()
	m["cpu_us"] = float64(scpu.Microseconds()) / n
	m["srv_pct"] = 100 * scpu.Seconds() / dur.Seconds()
	m["gen_pct"] = 100 * gcpu.Seconds() / dur.Seconds()
	return m, nil
}

// fanout: conns clients are in room "r"; client 0 publishes rate events per
// second, each delivered by the server to every client of the room (the
// publisher too). Latency is from the intended publish time to each delivery.
func fanout(s *server, p proto, conns int, rate float64, warm, dur time.Duration) (metrics, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs, err := dialAll(ctx, p, s.addr, conns, 32)
	if err != nil {
		return nil, err
	}
	defer closeAll(cs)
	time.Sleep(200 * time.Millisecond) // room joins settle
	f := newFanRun(ctx, cs, []int{s.pid})
	return f.step(ctx, cs[0], rate, warm, dur, 2*time.Second), nil
}

// fanoutSaturation: conns clients in room "r", one publisher; the publish
// rate goes up step by step (deliveries/s from 10k, ×1.5 a step) on the same
// connections until a step's p99 reaches 500 ms or deliveries are lost (not
// received within a 1 s grace). sat_dps is the highest deliveries/s that
// passed, the sat_* figures are that step's, fail_* the first failing one's.
func fanoutSaturation(s *server, p proto, conns int, warm, dur time.Duration) (metrics, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs, err := dialAll(ctx, p, s.addr, conns, 32)
	if err != nil {
		return nil, err
	}
	defer closeAll(cs)
	time.Sleep(200 * time.Millisecond)
	f := newFanRun(ctx, cs, []int{s.pid})
	return f.saturate(ctx, cs[0], conns, warm, dur), nil
}

const satP99 = 500e3 // µs: a saturation step passes with p99 below it and nothing lost

func (f *fanRun) saturate(ctx context.Context, pub *client, conns int, warm, dur time.Duration) metrics {
	m := metrics{"sat_dps": 0}
	dps := 10000.0
	for step := 1; step <= 12; step++ {
		sm := f.step(ctx, pub, dps/float64(conns), warm, dur, time.Second)
		m["steps"] = float64(step)
		if sm["p99"] >= satP99 || sm["lost"] > 0 || sm["deliveries"] == 0 {
			m["fail_dps"], m["fail_p99"], m["fail_lost"] = dps, sm["p99"], sm["lost"]
			m["fail_srv_pct"], m["fail_gen_pct"] = sm["srv_pct"], sm["gen_pct"]
			break
		}
		m["sat_dps"] = dps
		for _, k := range []string{"p50", "p99", "max", "cpu_us", "srv_pct", "gen_pct"} {
			m["sat_"+k] = sm[k]
		}
		dps *= 1.5
		time.Sleep(300 * time.Millisecond) // the next step starts on quiet sockets
	}
	return m
}

// A fanRun holds the receivers of a fan-out over a set of clients, across
// steps: each step has its window; a delivery counts in the step whose
// window holds its publish stamp.
type fanRun struct {
	cs   []*client
	pids []int // the server processes whose CPU counts
	per  []fanRecv
	cur  atomic.Pointer[fanStep]
}

type fanRecv struct {
	mu  sync.Mutex
	lat []int64
}

type fanStep struct {
	w     window
	recvd atomic.Int64
}

func newFanRun(ctx context.Context, cs []*client, pids []int) *fanRun {
	f := &fanRun{cs: cs, pids: pids, per: make([]fanRecv, len(cs))}
	for i, c := range cs {
		r := &f.per[i]
		go func() {
			for {
				st, err := c.recv(ctx)
				if err != nil {
					return
				}
				if cur := f.cur.Load(); cur != nil && cur.w.in(st) {
					r.mu.Lock()
					r.lat = append(r.lat, now()-st)
					r.mu.Unlock()
					cur.recvd.Add(1)
				}
			}
		}()
	}
	return f
}

// step publishes rate events per second from pub for warm+dur and measures
// the deliveries of those due in the window, waiting up to grace for the last.
func (f *fanRun) step(ctx context.Context, pub *client, rate float64, warm, dur, grace time.Duration) metrics {
	for i := range f.per {
		f.per[i].mu.Lock()
		f.per[i].lat = f.per[i].lat[:0]
		f.per[i].mu.Unlock()
	}
	interval := int64(float64(time.Second) / rate)
	dur = max(dur, time.Duration(2*interval)) // at least two publishes in the window
	st := &fanStep{w: newWindow(warm, dur)}
	w := st.w
	f.cur.Store(st)
	var pubs atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for next := w.start; next < w.end; next += interval {
			sleepUntil(next)
			if pub.send(ctx, pubEvent, next) != nil {
				return
			}
			if w.in(next) {
				pubs.Add(1)
			}
		}
	}()
	scpu, gcpu := cpuWindowPids(f.pids, w)
	<-done
	want := func() int64 { return pubs.Load() * int64(len(f.cs)) }
	for deadline := time.Now().Add(grace); st.recvd.Load() < want() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	f.cur.Store(nil)
	var l lat
	for i := range f.per {
		f.per[i].mu.Lock()
		l.all = append(l.all, f.per[i].lat...)
		f.per[i].mu.Unlock()
	}
	m := metrics{}
	l.into(m)
	n := float64(want())
	m["deliveries"], m["lost"] = n, n-float64(st.recvd.Load())
	m["dps"] = rate * float64(len(f.cs))
	m["cpu_us"] = float64(scpu.Microseconds()) / n
	m["srv_pct"] = 100 * scpu.Seconds() / dur.Seconds()
	m["gen_pct"] = 100 * gcpu.Seconds() / dur.Seconds()
	return m
}

// cpuWindowPids is cpuWindow over the sum of several server processes.
func cpuWindowPids(pids []int, w window) (srv, self time.Duration) {
	sum := func() (t time.Duration) {
		for _, p := range pids {
			t += cpu(p)
		}
		return t
	}
	sleepUntil(w.from)
	s0, g0 := sum(), selfCPU()
	sleepUntil(w.end)
	return sum() - s0, selfCPU() - g0
}

// idle: connects n clients, workers at a time (the connect rate and the
// server's CPU per connect), then leaves them idle and reads the server's RSS
// after a GC; per connection is the growth over the RSS before, also after a GC.
func idle(s *server, p proto, n, workers int) (metrics, error) {
	s.gc()
	base := rss(s.pid)
	c0, t0 := cpu(s.pid), time.Now()
	cs, err := dialAll(context.Background(), p, s.addr, n, workers)
	if err != nil {
		return nil, err
	}
	defer closeAll(cs)
	el, scpu := time.Since(t0), cpu(s.pid)-c0
	time.Sleep(500 * time.Millisecond)
	s.gc()
	after := rss(s.pid)
	m := metrics{
		"conn_per_s":   float64(n) / el.Seconds(),
		"cpu_us":       float64(scpu.Microseconds()) / float64(n),
		"kb_per_conn":  float64(after-base) / float64(n) / 1024,
		"base_rss_mb":  float64(base) / (1 << 20),
		"after_rss_mb": float64(after) / (1 << 20),
	}
	if p != pSIO5 && p != pSIO5MP { // polling: Engine.IO v4 only
		return m, nil
	}
	// The same n again, connected the way a default socket.io-client does:
	// the polling handshake and CONNECT, then the upgrade to WebSocket.
	closeAll(cs)
	time.Sleep(time.Second) // the server lets the first n go
	c0, t0 = cpu(s.pid), time.Now()
	cs2, err := dialAllT(context.Background(), p, tUpgrade, s.addr, n, workers)
	if err != nil { // the WebSocket figures stand
		log.Printf("idle: polling→websocket connects: %v", err)
		m["poll_failed"] = 1
		return m, nil
	}
	defer closeAll(cs2)
	el, scpu = time.Since(t0), cpu(s.pid)-c0
	m["poll_conn_per_s"] = float64(n) / el.Seconds()
	m["poll_cpu_us"] = float64(scpu.Microseconds()) / float64(n)
	return m, nil
}
