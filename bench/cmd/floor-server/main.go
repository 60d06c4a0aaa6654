// Command floor-server is the floor of the benchmark suite: a server that
// does no protocol work (package bench/internal/floor). -mode tcp echoes
// 64-byte records on TCP connections; -mode ws echoes each message of a plain
// WebSocket (github.com/coder/websocket). In both, a publish record is
// written to every connection instead (the fan-out scenarios).
package main

import (
	"flag"
	"log"
	"net"
	"net/http"

	"github.com/siogen/siogen/bench/internal/ctl"
	"github.com/siogen/siogen/bench/internal/floor"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3000", "listen address")
	mode := flag.String("mode", "tcp", "tcp or ws")
	flag.Parse()
	ctl.Setup()

	switch *mode {
	case "tcp":
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			log.Fatal(err)
		}
		log.Fatal(floor.ServeTCP(ln))
	case "ws":
		log.Fatal(http.ListenAndServe(*addr, floor.WSHandler()))
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
}
