package socketio

import (
	"math"
	"math/rand/v2"
	"time"
)

// clientBackoff computes the delays between reconnection attempts:
// min·2^attempt, moved up or down by a random share (at most jitter) of
// itself, and capped at max — the schedule of socket.io-client's Manager.
type clientBackoff struct {
	min, max time.Duration
	jitter   float64
	// rand returns a number in [0, 1); nil means math/rand/v2. Tests set it.
	rand func() float64
}

// duration returns the delay before reconnection attempt number attempt
// (0 for the first one).
func (b *clientBackoff) duration(attempt int) time.Duration {
	d := float64(b.min) * math.Pow(2, float64(min(attempt, 62)))
	if b.jitter > 0 {
		r := rand.Float64
		if b.rand != nil {
			r = b.rand
		}
		x := r()
		dev := math.Floor(x * b.jitter * d)
		// The same random number picks the direction, as socket.io-client does.
		if int(math.Floor(x*10))&1 == 0 {
			d -= dev
		} else {
			d += dev
		}
	}
	if d > float64(b.max) || math.IsInf(d, 0) || math.IsNaN(d) {
		return b.max
	}
	if d < 0 {
		return 0
	}
	return time.Duration(d)
}
