// Package wallclock carries a replacement of the wall clock in a context,
// for the tests of code that reads the wall clock through one: the
// Engine.IO client's heartbeat deadline (engineio.Client.PingExpired) is
// checked against Now of the context given to engineio.Dial, so that a test
// can make the wall clock jump, as it does across a suspend, without
// waiting for real intervals. Outside tests the context carries none and
// the clock is time.Now.
package wallclock

import (
	"context"
	"sync/atomic"
	"time"
)

type key struct{}

// WithNow returns a copy of ctx that carries now as the wall clock.
func WithNow(ctx context.Context, now func() time.Time) context.Context {
	return context.WithValue(ctx, key{}, now)
}

// Now returns the wall clock ctx carries, or time.Now when it carries none.
func Now(ctx context.Context) func() time.Time {
	if now, ok := ctx.Value(key{}).(func() time.Time); ok && now != nil {
		return now
	}
	return time.Now
}

// An Offset is a wall clock for tests: time.Now moved forward by the
// durations passed to Jump, as the wall clock is after the machine slept
// that long while the timers of the Go runtime, which run on the monotonic
// clock, stood still. The zero Offset is time.Now. Its methods are safe
// for concurrent use.
type Offset struct{ d atomic.Int64 }

// Now returns the time of the clock.
func (o *Offset) Now() time.Time { return time.Now().Add(time.Duration(o.d.Load())) }

// Jump moves the clock forward by d.
func (o *Offset) Jump(d time.Duration) { o.d.Add(int64(d)) }
