package engineio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// errStopDecoding stops DecodePayload when the reader must stop.
var errStopDecoding = errors.New("engineio: stop")

// clientPollLoop is the long-polling reader: one GET at a time, until the
// connection ends or the upgrade pauses it.
func (c *Client) clientPollLoop() {
	defer c.readers.Done()
	defer close(c.pollDone)
	for _, p := range c.pending {
		if !c.clientHandlePacket(p) {
			return
		}
	}
	c.pending = nil
	for !c.clientPollStops() && c.ctx.Err() == nil {
		body, err := c.clientGet()
		if err != nil {
			if c.ctx.Err() == nil {
				c.clientFail(ReasonTransportError, err)
			}
			return
		}
		err = DecodePayload(body, func(p Packet) error {
			if !c.clientHandlePacket(p) {
				return errStopDecoding
			}
			return nil
		})
		if err == errStopDecoding {
			return
		}
		if err != nil {
			c.clientFail(ReasonParseError, err)
			return
		}
	}
}

// clientPollStops reports whether the poll loop is to stop for an upgrade
// (clientFinishUpgrade), and marks it stopped if so.
func (c *Client) clientPollStops() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pollStopped = c.pollPause
	return c.pollStopped
}

// clientGet makes one long-polling GET and returns its body.
func (c *Client) clientGet() ([]byte, error) {
	req, err := c.clientRequest(c.ctx, http.MethodGet, c.pollURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.httpc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("engineio: poll: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, clientStatusError("poll", resp)
	}
	body, err := c.clientReadBody(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("engineio: poll: %w", err)
	}
	return body, nil
}

// clientPost sends one long-polling payload.
func (c *Client) clientPost(ctx context.Context, payload []byte) error {
	req, err := c.clientRequest(ctx, http.MethodPost, c.pollURL, bytes.NewReader(payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	resp, err := c.httpc.Do(req)
	if err != nil {
		return fmt.Errorf("engineio: post: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return clientStatusError("post", resp)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	return nil
}

// clientStatusError describes a polling request the server refused.
func clientStatusError(op string, resp *http.Response) error {
	e := dialHandshakeError(resp.StatusCode, resp.Body)
	return fmt.Errorf("engineio: %s: HTTP %d: %s", op, e.StatusCode, e.Message)
}
