// Package leakcheck finds goroutines that a test run left behind.
//
// Call it from TestMain:
//
//	func TestMain(m *testing.M) { leakcheck.Main(m) }
//
// After the tests pass it waits up to a few seconds for every goroutine that
// was not there when the tests started to end, and fails the run, printing
// their stacks, if some remain.
//
// Snapshot and CheckSince check one piece of work, such as a fuzz input,
// for the goroutines it started.
package leakcheck

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

// Timeout is how long Check waits for stray goroutines to end.
var Timeout = 5 * time.Second

// ignored lists frames of goroutines that belong to the runtime or the test
// framework, not to the code under test.
var ignored = []string{
	"\ntesting.",
	"\nos/signal.",
	"\nruntime.ensureSigM",
	"\nruntime/trace.",
}

// idlePools lists functions in which siogen's own worker pools park idle
// goroutines. A goroutine whose first frame outside the runtime is one of
// them is waiting for work, not leaked; one running a handler is reported.
var idlePools = []string{
	"github.com/siogen/siogen/runtime/socketio.(*workerPool).work(",
	"github.com/siogen/siogen/runtime/socketio.(*workerPool).sweep(",
}

// Main runs the tests and then checks for leaked goroutines. It exits the
// process with the tests' status, or 1 when goroutines leaked.
func Main(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := Check(Timeout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// Check waits up to timeout for all goroutines other than the caller and the
// test framework's to end. It returns an error listing those that did not.
func Check(timeout time.Duration) error { return CheckSince(nil, timeout) }

// Snapshot returns the ids of the goroutines that Stray reports now, for
// CheckSince.
func Snapshot() map[string]bool {
	ids := make(map[string]bool)
	for _, g := range Stray() {
		ids[goroutineID(g)] = true
	}
	return ids
}

// CheckSince is Check for the goroutines that are not in before (a
// Snapshot): those started since. It checks one piece of work while
// goroutines that are not its own run (a test still winding down).
func CheckSince(before map[string]bool, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	// Most goroutines end within a millisecond or two of the work that
	// started them: a check made after each fuzz input should not sleep
	// much longer than that.
	pause := time.Millisecond
	for {
		var stray []string
		for _, g := range Stray() {
			if !before[goroutineID(g)] {
				stray = append(stray, g)
			}
		}
		if len(stray) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("leakcheck: %d goroutine(s) still running after %v:\n\n%s",
				len(stray), timeout, strings.Join(stray, "\n\n"))
		}
		time.Sleep(pause)
		pause = min(2*pause, 20*time.Millisecond)
	}
}

// goroutineID returns the "goroutine N" that begins a goroutine's stack:
// unique for the life of the process (ids are not reused).
func goroutineID(stack string) string {
	id, _, _ := strings.Cut(stack, " [")
	return id
}

// Stray returns the stacks of the goroutines that are neither the caller nor
// part of the runtime or test framework.
func Stray() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for i, g := range strings.Split(string(buf), "\n\n") {
		if i == 0 { // the caller
			continue
		}
		if isIgnored(g) {
			continue
		}
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

func isIgnored(stack string) bool {
	// Look at the goroutine's own frames only, not at the "created by" line.
	if i := strings.Index(stack, "\ncreated by "); i >= 0 {
		stack = stack[:i]
	}
	if top := firstFrame(stack); top != "" {
		for _, fn := range idlePools {
			if strings.HasPrefix(top, fn) {
				return true
			}
		}
	}
	for _, frag := range ignored {
		if strings.Contains(stack, frag) {
			return true
		}
	}
	return false
}

// firstFrame returns the first function of a goroutine's stack that is not
// in the runtime package.
func firstFrame(stack string) string {
	lines := strings.Split(stack, "\n")
	for i := 1; i < len(lines); i += 2 {
		if !strings.HasPrefix(lines[i], "runtime.") {
			return lines[i]
		}
	}
	return ""
}
