//go:build !race

package socketio

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/siogen/siogen/engineio"
)

// The load test runs its clients in a child process (this test binary,
// started again with loadURLEnv set), so that the server's process holds
// only the server's side of the connections — and the open-file limit is
// per process.
const (
	loadURLEnv  = "SIOGEN_LOAD_CLIENT_URL"
	loadNEnv    = "SIOGEN_LOAD_CLIENT_N"
	loadSlowEnv = "SIOGEN_LOAD_CLIENT_SLOW" // how many more clients never read
)

func init() {
	if url := os.Getenv(loadURLEnv); url != "" {
		n, _ := strconv.Atoi(os.Getenv(loadNEnv))
		slow, _ := strconv.Atoi(os.Getenv(loadSlowEnv))
		os.Exit(loadClients(url, n, slow, os.Stdin, os.Stdout))
	}
}

// loadClient is a minimal Socket.IO client over one WebSocket: it joins "/"
// and reads until closed, answering pings and counting "tick" events.
type loadClient struct {
	c    *websocket.Conn
	done chan struct{}
}

func dialLoad(ctx context.Context, url string, hc *http.Client, ticks *atomic.Int64) (*loadClient, error) {
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		return nil, err
	}
	if _, _, err := c.Read(ctx); err != nil { // open
		c.CloseNow()
		return nil, err
	}
	if err := c.Write(ctx, websocket.MessageText, []byte("40")); err != nil {
		c.CloseNow()
		return nil, err
	}
	lc := &loadClient{c: c, done: make(chan struct{})}
	go func() {
		defer close(lc.done)
		for {
			_, b, err := c.Read(context.Background())
			if err != nil {
				return
			}
			if len(b) == 1 && b[0] == '2' { // ping
				_ = c.Write(context.Background(), websocket.MessageText, []byte("3"))
			} else if strings.HasPrefix(string(b), `42["tick"`) {
				ticks.Add(1)
			}
		}
	}()
	return lc, nil
}

func (lc *loadClient) close() {
	lc.c.CloseNow()
	<-lc.done
}

// loadClients is the child process: it opens n connections, then obeys
// the parent's commands on in ("ticks N", "churn D", "close"), answering
// on out. It returns the exit code.
func loadClients(url string, n, slow int, in io.Reader, out io.Writer) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(out, "error "+format+"\n", args...)
		return 1
	}
	if err := raiseFDLimit(uint64(n) + 500); err != nil {
		return fail("%v", err)
	}
	tr := &http.Transport{MaxIdleConnsPerHost: -1}
	hc := &http.Client{Transport: tr}
	ctx := context.Background()
	var ticks atomic.Int64
	clients := make([]*loadClient, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, 64)
	for i := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			lc, err := dialLoad(ctx, url, hc, &ticks)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && firstErr == nil {
				firstErr = fmt.Errorf("client %d: %w", i, err)
			}
			clients[i] = lc
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return fail("%v", firstErr)
	}
	// Slow clients join and then never read again: their TCP windows fill.
	var slowConns []*websocket.Conn
	for i := 0; i < slow; i++ {
		c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: hc})
		if err != nil {
			return fail("slow client: %v", err)
		}
		if _, _, err := c.Read(ctx); err != nil {
			return fail("slow client: %v", err)
		}
		if err := c.Write(ctx, websocket.MessageText, []byte(`40{"slow":true}`)); err != nil {
			return fail("slow client: %v", err)
		}
		slowConns = append(slowConns, c)
	}
	defer func() {
		for _, c := range slowConns {
			c.CloseNow()
		}
	}()
	fmt.Fprintf(out, "ready %d\n", n)
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "ticks": // wait until that many ticks came
			want, _ := strconv.ParseInt(arg, 10, 64)
			deadline := time.Now().Add(2 * time.Minute)
			for ticks.Load() < want && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			fmt.Fprintf(out, "ticks %d\n", ticks.Load())
		case "churn": // replace connections one by one for a while
			d, _ := time.ParseDuration(arg)
			end, churned := time.Now().Add(d), 0
			for i := 0; time.Now().Before(end); i = (i + 1) % n {
				clients[i].close()
				lc, err := dialLoad(ctx, url, hc, &ticks)
				if err != nil {
					return fail("churn %d: %v", churned, err)
				}
				clients[i] = lc
				churned++
			}
			fmt.Fprintf(out, "churned %d\n", churned)
		case "close":
			for _, lc := range clients {
				lc.close()
			}
			tr.CloseIdleConnections()
			fmt.Fprintln(out, "closed")
			return 0
		}
	}
	return 0
}

func heapMB() float64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / (1 << 20)
}

// TestLoad10k holds 10,000 WebSocket connections from another process,
// broadcasts to all of them, churns (clients leave and others connect) for
// a while, then lets every client go — twice. The server's goroutines come
// back to the baseline each time, and its heap after the second round is
// no larger than after the first: nothing accumulates with use. (The Go
// runtime keeps the descriptors of ended goroutines for reuse, so the heap
// after a round stays above the very first baseline.) SIOGEN_SOAK=3m
// makes each churn phase a soak that long.
func TestLoad10k(t *testing.T) {
	const n = 10000
	soak := 5 * time.Second
	if d, err := time.ParseDuration(os.Getenv("SIOGEN_SOAK")); err == nil {
		soak = d
	}
	if err := raiseFDLimit(uint64(n) + 500); err != nil {
		t.Fatal(err)
	}
	baseG, baseHeap := runtime.NumGoroutine(), heapMB()
	srv := NewServer(nil)
	hs := httptest.NewServer(srv)
	defer hs.Close()
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + "/socket.io/?EIO=4&transport=websocket"

	var after []float64
	for round := 1; round <= 2; round++ {
		loadRound(t, srv, url, n, soak)
		// The pool keeps a few idle workers; they end on their own.
		waitUntilFor(t, 30*time.Second, func() bool { return runtime.NumGoroutine() <= baseG+httptestGoroutines })
		h := heapMB()
		after = append(after, h)
		t.Logf("round %d over: %d goroutines (baseline %d), heap %.1f MB (baseline %.1f MB)",
			round, runtime.NumGoroutine(), baseG, h, baseHeap)
	}
	if after[1] > after[0]+4 {
		t.Fatalf("heap grew from %.1f MB to %.1f MB between two identical rounds", after[0], after[1])
	}
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
}

// httptestGoroutines is what the running httptest server itself holds.
const httptestGoroutines = 1

// startClients starts the client process with n clients (and slow ones
// that never read); it returns its command input and a function that reads
// the next answer, which must start with prefix.
func startClients(t *testing.T, url string, n, slow int) (io.Writer, func(prefix string) string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), loadURLEnv+"="+url, loadNEnv+"="+strconv.Itoa(n), loadSlowEnv+"="+strconv.Itoa(slow))
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	return stdin, func(prefix string) string {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("client process ended waiting for %q", prefix)
		}
		line := lines.Text()
		if !strings.HasPrefix(line, prefix) {
			t.Fatalf("client process: %q, want %q…", line, prefix)
		}
		return strings.TrimPrefix(line, prefix)
	}
}

// loadRound runs one round of the load test with a fresh client process.
func loadRound(t *testing.T, srv *Server, url string, n int, soak time.Duration) {
	t.Helper()
	stdin, expect := startClients(t, url, n, 0)

	start := time.Now()
	expect("ready ")
	waitUntilFor(t, time.Minute, func() bool { return srv.Of("/").Len() == n })
	t.Logf("%d connections in %v; server: %d goroutines, heap %.0f MB",
		n, time.Since(start).Round(time.Millisecond), runtime.NumGoroutine(), heapMB())

	if err := srv.Emit("tick", 1); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(stdin, "ticks %d\n", n)
	if got := expect("ticks "); got != strconv.Itoa(n) {
		t.Fatalf("%s of %d clients got the broadcast", got, n)
	}

	fmt.Fprintf(stdin, "churn %s\n", soak)
	t.Logf("churned %s connections in %v", expect("churned "), soak)
	waitUntilFor(t, time.Minute, func() bool { return srv.Of("/").Len() == n })

	fmt.Fprintln(stdin, "close")
	expect("closed")
	waitUntilFor(t, time.Minute, func() bool { return srv.Of("/").Len() == 0 && srv.Engine().Len() == 0 })
}

func waitUntilFor(t *testing.T, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v (goroutines %d)", d, runtime.NumGoroutine())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSlowConsumers: 1,000 clients read, 5 stop reading (and get large
// messages besides). The stream of broadcasts reaches every reading client;
// each slow one is disconnected when its queue overflows (write queue full)
// instead of holding memory or the others back; the server's heap stays
// bounded throughout.
func TestSlowConsumers(t *testing.T) {
	const n, slow, msgs = 1000, 5, 200
	srv := NewServer(&ServerOptions{Engine: engineio.Options{WriteQueueSize: 256 << 10}})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Shutdown(context.Background())
	var full atomic.Int64
	srv.OnConnection(func(s *Socket) {
		var auth struct {
			Slow bool `json:"slow"`
		}
		if s.Handshake().Auth.Decode(&auth) == nil && auth.Slow {
			s.Join("heavy")
		}
		s.OnDisconnect(func(r DisconnectReason) {
			if r == ReasonWriteQueueFull {
				full.Add(1)
			}
		})
	})
	base := heapMB()
	stdin, expect := startClients(t, "ws"+strings.TrimPrefix(hs.URL, "http")+"/socket.io/?EIO=4&transport=websocket", n, slow)
	expect("ready ")
	waitUntilFor(t, time.Minute, func() bool { return srv.Of("/").Len() == n+slow })

	// Everyone gets a small tick; the slow clients' room also gets 64 KiB
	// messages, enough to fill their TCP buffers and then their queues.
	big := strings.Repeat("x", 64<<10)
	peak := 0.0
	for i := 0; i < msgs; i++ {
		if err := srv.Emit("tick", i); err != nil {
			t.Fatal(err)
		}
		if err := srv.To("heavy").Emit("big", big); err != nil {
			t.Fatal(err)
		}
		if i%50 == 49 {
			peak = max(peak, heapMB())
			// Pace on the readers, so only the slow clients' queues grow.
			fmt.Fprintf(stdin, "ticks %d\n", n*(i+1))
			if got := expect("ticks "); got != strconv.Itoa(n*(i+1)) {
				t.Fatalf("after %d broadcasts the readers had %s of %d", i+1, got, n*(i+1))
			}
		}
	}
	waitUntilFor(t, time.Minute, func() bool { return full.Load() == slow })
	// Bounded: the slow clients' queues are capped at 256 KiB each; a
	// broadcast's frames are shared by all recipients.
	t.Logf("heap: %.1f MB before, %.1f MB at the peak; %d slow clients cut off with %q", base, peak, full.Load(), ReasonWriteQueueFull)
	if peak > base+200 {
		t.Fatalf("heap peaked at %.1f MB (%.1f MB before)", peak, base)
	}
	if srv.Of("/").Len() != n {
		t.Fatalf("%d sockets left, want the %d readers", srv.Of("/").Len(), n)
	}
	fmt.Fprintln(stdin, "close")
	expect("closed")
}
