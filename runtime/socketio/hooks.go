package socketio

import "time"

// recoveryHooks let tests stop a recovering socket, or a broadcast kept for
// recovery, at a given step, to open the windows in which the two could
// interleave. Server.hooks is nil outside tests: each call site costs one
// load and compare, on the recovery paths only.
type recoveryHooks struct {
	// taken runs at CONNECT once the session of a recovering socket has
	// been looked up, before its middleware and its admission.
	taken func(s *Socket)
	// passed runs when the middleware has let a socket in, before its
	// admission (see conn.connect).
	passed func(s *Socket)
	// dropped runs when a socket that passed its middleware is not
	// admitted (its connection closed meanwhile), once its session, if it
	// was recovering, has been given back.
	dropped func(s *Socket)
	// admitted runs first in the task that connects an admitted socket
	// (see conn.admit).
	admitted func(s *Socket)
	// joined runs in the admission of a recovered socket once it has
	// joined its rooms, before the packets it missed are queued.
	joined func(s *Socket)
	// stored runs in a broadcast kept for recovery once its packet is
	// stored and its turn taken, before its recipients are chosen.
	stored func()
	// broadcastWaits runs when a broadcast kept for recovery has to wait
	// for its turn: for the admission of a recovered socket, or for a
	// kept broadcast stored before it.
	broadcastWaits func()
	// admissionWaits runs when the admission of a recovered socket has to
	// wait for its turn: for broadcasts kept for recovery before it.
	admissionWaits func()
	// now replaces time.Now for the recovery window.
	now func() time.Time
}

// now returns the time of the recovery window: time.Now, unless a test
// says otherwise.
func (a *MemoryAdapter) now() time.Time {
	if h := a.nsp.server.hooks; h != nil && h.now != nil {
		return h.now()
	}
	return time.Now()
}
