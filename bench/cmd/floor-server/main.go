// Command floor-server is the floor of the benchmark suite: an echo server
// that does no protocol work. -mode tcp echoes bytes on a TCP connection;
// -mode ws echoes each message of a plain WebSocket (github.com/coder/websocket).
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"net/http"

	"github.com/coder/websocket"

	"github.com/siogen/siogen/bench/internal/ctl"
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
		for {
			c, err := ln.Accept()
			if err != nil {
				log.Fatal(err)
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	case "ws":
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
			if err != nil {
				return
			}
			defer c.CloseNow()
			c.SetReadLimit(1 << 20)
			ctx := context.Background()
			for {
				typ, msg, err := c.Read(ctx)
				if err != nil {
					return
				}
				if err := c.Write(ctx, typ, msg); err != nil {
					return
				}
			}
		})
		log.Fatal(http.ListenAndServe(*addr, h))
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
}
