package engineio

import (
	"sync"
	"sync/atomic"
	"time"
)

// The reads and writes of a WebSocket on a plain socket (wsconn.go) are
// read(2) and writev(2) of a socket that Go's poller serves (they are made
// through its syscall.RawConn), and so non-blocking: they return at once,
// with EAGAIN when the socket has nothing to give or no room. While
// messages flow they are made without the runtime's system-call entry and
// exit (syscall.RawSyscall; rawsys.go). Those exist for calls that may
// block: they let the scheduler hand the thread's P to another thread
// meanwhile, and, when the process has been idle, they wake the runtime's
// monitor thread (sysmon), which then polls every 20 µs until the process
// is idle again. At a steady rate of messages with idle moments between
// them that is once per message: a futex wake-up, a sleep and context
// switches, on the same core when the process is pinned to one.
//
// sysmon is also what preempts a goroutine that computes for long, and
// without a wake-up it may sleep until the process's next timer: with
// GOMAXPROCS=1 a handler that computes for a second would hold back every
// other session for that second. So the first call after a quiet moment
// (a guard period without any) is a regular system call, which wakes
// sysmon, and while calls go on a timer ticks every guard period: sysmon's
// sleep ends at the next timer, so it is never longer than the period, and
// a long computation is preempted about as soon as without raw calls
// (TestRawSyscallsKeepPreemption). The price: messages further apart than
// the period each go the regular way and leave one timer tick behind.

// guardPeriod is the sysmon guard's period: sysmon's preemption of a long
// computation comes at most about this much later than it otherwise would.
const guardPeriod = 10 * time.Millisecond

// syscalls is the process's guard: sysmon is one per process.
var syscalls = sysmonGuard{period: guardPeriod}

// A sysmonGuard tells whether a system call is the first after a quiet
// moment, and keeps a timer pending while calls go on. See above.
type sysmonGuard struct {
	period time.Duration
	armed  atomic.Bool // the timer is pending or firing
	seen   atomic.Bool // a call was made since the timer last fired

	mu    sync.Mutex
	timer *time.Timer
}

// quiet reports whether no call was made within the last period, and
// arms the guard again: the caller then makes a regular system call.
func (g *sysmonGuard) quiet() bool {
	if g.armed.Load() {
		if !g.seen.Load() { // a store only when it changes: calls run on every core
			g.seen.Store(true)
		}
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.armed.Load() {
		g.seen.Store(true)
		return false
	}
	g.armed.Store(true)
	if g.timer == nil {
		g.timer = time.AfterFunc(g.period, g.tick)
	} else {
		g.timer.Reset(g.period)
	}
	return true
}

// tick is the timer's function: the guard stays armed while calls go on.
func (g *sysmonGuard) tick() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.seen.Swap(false) {
		g.armed.Store(false)
		// A call on quiet's fast path may have seen the guard still armed
		// between the Swap and the Store: it was raw, so keep ticking.
		if !g.seen.Load() {
			return
		}
		g.armed.Store(true)
	}
	g.timer.Reset(g.period)
}
