package engineio

import (
	"context"
	"errors"
	"io"

	"github.com/coder/websocket"
)

// clientWSReadLoop reads packets from the WebSocket in use until the
// connection ends.
func (c *Client) clientWSReadLoop(ws *websocket.Conn) {
	defer c.readers.Done()
	for {
		typ, data, err := c.clientWSRead(c.ctx, ws)
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			if websocket.CloseStatus(err) != -1 || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				c.clientFail(ReasonTransportClose, nil)
			} else {
				c.clientFail(ReasonTransportError, err)
			}
			return
		}
		var p Packet
		if typ == websocket.MessageBinary {
			p = Packet{Type: PacketMessage, Data: data, Binary: true}
		} else if p, err = DecodePacket(data); err != nil {
			c.clientFail(ReasonParseError, err)
			return
		}
		if !c.clientHandlePacket(p) {
			return
		}
	}
}

// clientProbe tries the upgrade to WebSocket: it opens a WebSocket with the
// session id, sends 2probe and waits for 3probe. On success it hands the
// WebSocket to clientRun, which completes the upgrade; on failure the
// connection stays on long-polling.
func (c *Client) clientProbe() {
	defer c.readers.Done()
	ctx, cancel := context.WithTimeout(c.ctx, clientProbeTimeout)
	defer cancel()
	ws, err := c.clientDialWS(ctx, true)
	if err != nil {
		return
	}
	if !c.clientProbeDance(ctx, ws) {
		ws.CloseNow()
		return
	}
	select {
	case c.upgradeCh <- ws:
	case <-c.closingCh:
		ws.CloseNow()
	}
}

// clientProbeDance sends 2probe over ws and reports whether 3probe came back.
func (c *Client) clientProbeDance(ctx context.Context, ws *websocket.Conn) bool {
	if err := ws.Write(ctx, websocket.MessageText, []byte("2probe")); err != nil {
		return false
	}
	typ, data, err := c.clientWSRead(ctx, ws)
	return err == nil && typ == websocket.MessageText && string(data) == "3probe"
}
