package socketio_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/siogen/siogen/runtime/socketio"
)

// A client connects to the /chat namespace with a token, listens to an
// event, emits one and waits for an acknowledgement. The Manager reconnects
// in the background when the connection is lost.
func ExampleManager() {
	m := socketio.NewManager("http://localhost:3000", &socketio.ManagerOptions{
		ReconnectionDelayMax: 10 * time.Second,
	})
	defer m.Close()

	chat := m.Socket("/chat", &socketio.ClientSocketOptions{
		Auth: map[string]any{"token": "s3cr3t"},
	})
	chat.On("message", func(e *socketio.Event) {
		var text string
		if err := e.Decode(&text); err == nil {
			fmt.Println("message:", text)
		}
	})
	chat.OnDisconnect(func(reason socketio.DisconnectReason) {
		log.Println("disconnected:", reason)
	})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := chat.Connect(ctx); err != nil {
		var refused *socketio.ConnectError
		if errors.As(err, &refused) {
			log.Fatalf("refused: %s", refused.Message)
		}
		log.Fatal(err)
	}

	ack, err := chat.EmitWithAck(ctx, "send", map[string]any{"room": "lobby", "text": "hello"})
	if err != nil {
		log.Fatal(err)
	}
	var reply struct {
		OK bool `json:"ok"`
	}
	if len(ack) > 0 {
		_ = ack[0].Decode(&reply)
	}
	fmt.Println("acknowledged:", reply.OK)
}
