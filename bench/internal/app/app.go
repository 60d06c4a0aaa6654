// Package app is the siogen contender's application: the events every
// server of the benchmark suite has. cmd/siogen-server serves it, and the
// generator's tests run it in-process.
//
//	echo(s)  -> emits "echo" with the same string back to the sender
//	echoAck(s, ack) -> acknowledges with s
//	pub(s)   -> emits "msg" with s to room "r" (every socket joins it on connect)
package app

import "github.com/siogen/siogen/runtime/socketio"

// Register installs the events on srv. Handlers decode the argument into a
// string and emit it again, as the other contenders' do.
func Register(srv *socketio.Server) {
	srv.OnConnection(func(s *socketio.Socket) {
		_ = s.Join("r")
		s.On("echo", func(e *socketio.Event) {
			var msg string
			if e.Decode(&msg) == nil {
				_ = s.Emit("echo", msg)
			}
		})
		s.On("echoAck", func(e *socketio.Event) {
			var msg string
			if e.Decode(&msg) == nil {
				_ = e.Ack(msg)
			}
		})
		s.On("pub", func(e *socketio.Event) {
			var msg string
			if e.Decode(&msg) == nil {
				_ = srv.To("r").Emit("msg", msg)
			}
		})
	})
}
