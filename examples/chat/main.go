// Command chat is siogen's example: a chat server with rooms, recent history,
// images, typing indicators and presence, and the browser page that uses it,
// in one binary with no external service.
//
//	go run ./examples/chat                 # then open http://localhost:8080
//	go run ./examples/chat/bot             # a Go bot that answers "bot" mentions
//
// The API is the schema chat.sio.yaml: the server implements the generated
// chatapp.ChatHandler (server.go), the bot uses the generated
// chatapp.ChatClient, and the page (web/src/app.ts) uses the generated
// TypeScript types with the official socket.io-client. The demo token is
// the user's display name (see docs/chat.md).
//
// Flags:
//
//	-addr ADDR    listen address (default :8080)
//	-history N    messages a room keeps and a join returns (default 50)
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/siogen/siogen/engineio"
	"github.com/siogen/siogen/runtime/socketio"
)

// The page: index.html, style.css and the esbuild bundle of web/src
// (web/dist/app.js, rebuilt by go generate).
//
//go:embed web/index.html web/style.css web/dist/app.js
var webFiles embed.FS

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	history := flag.Int("history", DefaultHistory, "messages a room keeps (and a join returns)")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := engineio.Listen("tcp", *addr)
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	if err := run(ctx, ln, Config{History: *history, Logger: log}); err != nil {
		log.Error("server failed", "err", err)
		os.Exit(1)
	}
}

// handler returns the HTTP handler of the whole app: the page at / and
// Socket.IO at /socket.io/.
func handler(sio *socketio.Server) http.Handler {
	web, err := fs.Sub(webFiles, "web")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServerFS(web)
	mux := http.NewServeMux()
	mux.Handle("/socket.io/", sio)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
	return mux
}

// run serves the chat on ln until ctx ends, then shuts down gracefully:
// every socket is disconnected ("server shutting down"), then the HTTP
// server stops.
func run(ctx context.Context, ln net.Listener, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
		cfg.Logger = log
	}
	sio := socketio.NewServer(&socketio.ServerOptions{Logger: log})
	newChatServer(sio, cfg)
	hs := &http.Server{
		Handler:           handler(sio),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	// The Socket.IO WebSocket handshakes are served by sio's listener,
	// without net/http; the page, polling and the rest by hs.
	served := make(chan error, 1)
	go func() { served <- hs.Serve(sio.Listener(ln)) }()
	log.Info("chat listening", "url", pageURL(ln.Addr()))

	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Socket.IO first: it ends the long-polling requests and WebSockets that
	// http.Server.Shutdown would otherwise wait for (or not know about).
	err := sio.Shutdown(sctx)
	err = errors.Join(err, hs.Shutdown(sctx))
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err == nil {
		log.Info("stopped")
	}
	return err
}

// pageURL is the URL to open for a listening address.
func pageURL(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		return fmt.Sprintf("http://localhost:%d/", ta.Port)
	}
	return "http://" + a.String() + "/"
}
