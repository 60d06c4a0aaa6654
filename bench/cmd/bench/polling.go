package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Engine.IO v4 HTTP long-polling, as the load generator speaks it (the
// Engine.IO v4 protocol): a handshake GET answered by the open packet, POSTs
// carrying packets, long-poll GETs answered with what the server has
// buffered; a payload is packets joined by the record separator 0x1e, a
// binary packet is 'b' + standard base64. Optionally the client then upgrades
// to WebSocket: it opens a WebSocket with the same sid, sends "2probe", waits
// for "3probe" and sends "5".

// A transport mode of a client.
type tmode int

const (
	tWS      tmode = iota // WebSocket from the start
	tPolling              // long-polling, no upgrade
	tUpgrade              // long-polling handshake and CONNECT, then the upgrade to WebSocket
)

func (t tmode) String() string {
	return [...]string{"websocket", "polling", "polling→websocket"}[t]
}

const recordSep = 0x1e

// A poller is the polling side of one client: its own HTTP connections (a
// transport of its own with keep-alive, as a browser tab has), the POSTs
// serialised (Engine.IO closes a session on concurrent POSTs), and a
// goroutine that keeps one GET pending and hands the packets in.
type poller struct {
	url    string // …/socket.io/?EIO=4&transport=polling&sid=…
	tr     *http.Transport
	hc     *http.Client
	postMu sync.Mutex
	inbox  chan packet
	cancel context.CancelFunc
	pend   []packet // packets of a GET not yet returned by next (the handshake's)
}

type packet struct {
	binary bool
	data   []byte
}

// openPolling does the handshake GET and returns the poller (no GET loop yet).
func openPolling(ctx context.Context, addr string) (*poller, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: 2, DisableCompression: true, IdleConnTimeout: time.Minute}
	pl := &poller{tr: tr, hc: &http.Client{Transport: tr}}
	base := "http://" + addr + "/socket.io/?EIO=4&transport=polling"
	pkts, err := pl.get(ctx, base)
	if err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	if len(pkts) == 0 || pkts[0].binary || len(pkts[0].data) == 0 || pkts[0].data[0] != '0' {
		tr.CloseIdleConnections()
		return nil, fmt.Errorf("engine.io open over polling: %v", pkts)
	}
	var open struct {
		Sid      string   `json:"sid"`
		Upgrades []string `json:"upgrades"`
	}
	if err := json.Unmarshal(pkts[0].data[1:], &open); err != nil || open.Sid == "" {
		tr.CloseIdleConnections()
		return nil, fmt.Errorf("engine.io open over polling: %q %v", pkts[0].data, err)
	}
	pl.url = base + "&sid=" + open.Sid
	pl.pend = pkts[1:]
	return pl, nil
}

// get does one GET and splits its payload into packets.
func (pl *poller) get(ctx context.Context, url string) ([]packet, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := pl.hc.Do(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("polling GET: %s %q", resp.Status, body)
	}
	return splitPayload(body)
}

// splitPayload splits a polling payload into its packets.
func splitPayload(body []byte) ([]packet, error) {
	var out []packet
	for _, part := range bytes.Split(body, []byte{recordSep}) {
		if len(part) > 0 && part[0] == 'b' {
			raw, err := base64.StdEncoding.AppendDecode(nil, part[1:])
			if err != nil {
				return nil, fmt.Errorf("polling GET: bad base64 packet: %v", err)
			}
			out = append(out, packet{binary: true, data: raw})
			continue
		}
		out = append(out, packet{data: part})
	}
	return out, nil
}

// next returns the packets of the next GET (or those left from the handshake).
func (pl *poller) next(ctx context.Context) ([]packet, error) {
	if p := pl.pend; len(p) > 0 {
		pl.pend = nil
		return p, nil
	}
	return pl.get(ctx, pl.url)
}

// post sends one packet (binary ones base64'd) in one POST.
func (pl *poller) post(ctx context.Context, binary bool, data []byte) error {
	var body []byte
	if binary {
		body = append(body, 'b')
		body = base64.StdEncoding.AppendEncode(body, data)
	} else {
		body = data
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, pl.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	pl.postMu.Lock()
	defer pl.postMu.Unlock()
	resp, err := pl.hc.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("polling POST: %s %q", resp.Status, b)
	}
	return nil
}

// loop keeps a GET pending until ctx ends, handing the packets to inbox.
func (pl *poller) loop(ctx context.Context) {
	defer close(pl.inbox)
	for {
		pkts, err := pl.next(ctx)
		if err != nil {
			return
		}
		for _, p := range pkts {
			select {
			case pl.inbox <- p:
			case <-ctx.Done():
				return
			}
		}
	}
}

func (pl *poller) close() {
	if pl.cancel != nil {
		pl.cancel()
	}
	pl.tr.CloseIdleConnections()
}

// dialPolling connects over polling: the handshake, the Socket.IO CONNECT
// POSTed and its reply read by GETs; with upgrade, then the WebSocket upgrade.
func dialPolling(ctx context.Context, p proto, addr string, upgrade bool) (*client, error) {
	if p != pSIO5 && p != pSIO5MP {
		return nil, errors.New("polling is implemented for Engine.IO v4 only")
	}
	pl, err := openPolling(ctx, addr)
	if err != nil {
		return nil, err
	}
	c := &client{p: p, out: make([]byte, 0, 128), size: payloadSize, ackID: -1}
	if p == pSIO5 {
		err = pl.post(ctx, false, []byte("40"))
	} else {
		err = pl.post(ctx, true, []byte("\x82\xa4type\x00\xa3nsp\xa1/"))
	}
	if err != nil {
		pl.close()
		return nil, err
	}
	var rest []packet // packets after the CONNECT reply
wait:
	for {
		pkts, err := pl.next(ctx)
		if err != nil {
			pl.close()
			return nil, err
		}
		for i, pk := range pkts {
			if pk.binary || bytes.HasPrefix(pk.data, []byte("40")) {
				rest = pkts[i+1:]
				break wait
			}
			if bytes.HasPrefix(pk.data, []byte("44")) {
				pl.close()
				return nil, fmt.Errorf("connect error: %s", pk.data)
			}
		}
	}
	if upgrade {
		ws, err := dialWS(ctx, "ws"+strings.TrimPrefix(strings.Replace(pl.url, "transport=polling", "transport=websocket", 1), "http"))
		if err != nil {
			pl.close()
			return nil, fmt.Errorf("upgrade: %w", err)
		}
		if err := ws.write(ctx, false, []byte("2probe")); err != nil {
			ws.closeNow()
			pl.close()
			return nil, err
		}
		if _, msg, err := ws.read(ctx); err != nil || string(msg) != "3probe" {
			ws.closeNow()
			pl.close()
			return nil, fmt.Errorf("upgrade: probe answered %q %v", msg, err)
		}
		if err := ws.write(ctx, false, []byte("5")); err != nil {
			ws.closeNow()
			pl.close()
			return nil, err
		}
		pl.close() // the polling connections are done with
		if err := ws.unbind(); err != nil {
			ws.closeNow()
			return nil, err
		}
		c.ws = ws
		return c, nil
	}
	lctx, cancel := context.WithCancel(context.Background())
	pl.cancel, pl.inbox, pl.pend = cancel, make(chan packet, 64), rest
	go pl.loop(lctx)
	c.poll = pl
	return c, nil
}
