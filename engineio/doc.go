// Package engineio implements the Engine.IO v4 protocol, the transport
// layer under Socket.IO: a server, a client, and the two transports, HTTP
// long-polling and WebSocket, with the upgrade from one to the other.
//
// A Server is an http.Handler. It hands each new session to its
// ConnectFunc, which returns the Handler of the session's messages; a
// Session sends with Send. Dial opens a client connection (a Client) to an
// Engine.IO server, this package's or Node's engine.io. Server sessions and
// clients both satisfy Conn, which is what runtime/socketio is written
// against.
//
// A server with its port to itself serves WebSocket handshakes without
// net/http through a Listener (NewListener, on a listener from Listen or
// net.Listen), and the rest, polling among it, through its http.Server:
//
//	ln, err := engineio.Listen("tcp", ":3000")
//	...
//	l := engineio.NewListener(ln)
//	l.Handle("/engine.io/", srv)
//	mux.Handle("/engine.io/", srv)
//	err = http.Serve(l, mux)
package engineio
