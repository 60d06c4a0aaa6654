package redisadapter

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
	"github.com/vmihailenco/msgpack/v5"
)

// classicReq is a request of the classic adapter (field order as Node's).
type classicReq struct {
	UID       string         `json:"uid,omitempty"`
	RequestID string         `json:"requestId,omitempty"`
	Type      int            `json:"type"`
	Packet    *wirePacket    `json:"packet,omitempty"`
	Opts      *wireOpts      `json:"opts,omitempty"`
	Rooms     roomList       `json:"rooms,omitempty"`
	Close     *bool          `json:"close,omitempty"`
	Data      []parser.Value `json:"data,omitempty"`
	// legacy forms
	SID  string `json:"sid,omitempty"`
	Room string `json:"room,omitempty"`
}

// classicResp is any response of the classic adapter, for decoding.
type classicResp struct {
	Type        int           `json:"type"`
	RequestID   string        `json:"requestId"`
	ClientCount int           `json:"clientCount"`
	Packet      parser.Value  `json:"packet"`
	Data        *parser.Value `json:"data"`
	Rooms       roomList      `json:"rooms"`
	Sockets     []wireSocket  `json:"sockets"`
}

type countResp struct {
	Type        int    `json:"type"`
	RequestID   string `json:"requestId"`
	ClientCount int    `json:"clientCount"`
}

type valueResp struct {
	Type      int           `json:"type"`
	RequestID string        `json:"requestId"`
	Packet    *parser.Value `json:"packet,omitempty"`
	Data      *parser.Value `json:"data,omitempty"`
}

type roomsResp struct {
	RequestID string   `json:"requestId"`
	Rooms     []string `json:"rooms"`
}

type socketsResp struct {
	RequestID string      `json:"requestId"`
	Sockets   []outSocket `json:"sockets"`
}

type idsResp struct {
	RequestID string   `json:"requestId"`
	Sockets   []string `json:"sockets"`
}

type ackOnlyResp struct {
	RequestID string `json:"requestId"`
}

// encodeClassicBroadcast returns the msgpack [uid, packet, opts] message.
func encodeClassicBroadcast(uid, nsp string, data []parser.Value, opts any) ([]byte, error) {
	return mpMarshal([]any{uid, &wirePacket{Type: int(parser.Event), Data: data, Nsp: nsp}, opts})
}

// Broadcast implements socketio.Adapter: p goes to this node's sockets,
// then to the other nodes through Redis (unless opts.Flags.Local). An error
// means only the other nodes may have missed it.
func (a *Adapter) Broadcast(p *parser.Packet, opts socketio.BroadcastOptions) error {
	if opts.Flags.Local {
		return a.MemoryAdapter.Broadcast(p, opts)
	}
	msg, channel, encErr := a.encodeBroadcast(a.nsp.Name(), p, opts)
	localErr := a.MemoryAdapter.Broadcast(p, opts)
	if encErr != nil {
		return encErr
	}
	if err := a.publish(channel, msg); err != nil {
		return err
	}
	return localErr
}

// BroadcastRemote implements socketio.RemoteBroadcaster: p, an event of
// namespace nsp, which this node does not have, goes to the sockets of the
// other nodes that opts selects, as a broadcast of nsp's adapter would.
func (a *Adapter) BroadcastRemote(nsp string, p *parser.Packet, opts socketio.BroadcastOptions) error {
	msg, channel, err := a.encodeBroadcast(nsp, p, opts)
	if err != nil {
		return err
	}
	return a.publish(channel, msg)
}

// encodeBroadcast returns the message and the channel of a broadcast of p
// (no ack) to namespace nsp.
func (a *Adapter) encodeBroadcast(nsp string, p *parser.Packet, opts socketio.BroadcastOptions) ([]byte, string, error) {
	if a.o.Sharded {
		return a.encodeShardedBroadcast(nsp, "", p, opts)
	}
	w := optsOf(opts, true)
	msg, err := encodeClassicBroadcast(a.uid, nsp, p.Data, w)
	channel := a.channelOf(nsp)
	if len(w.Rooms) == 1 {
		channel += w.Rooms[0] + "#"
	}
	return msg, channel, err
}

// channelOf is the broadcast channel (classic) or main channel (sharded)
// of namespace nsp.
func (a *Adapter) channelOf(nsp string) string {
	if nsp == a.nsp.Name() {
		return a.channel
	}
	return broadcastChannel(a.o.Key, nsp)
}

// broadcastChannel is the channel of namespace nsp's broadcasts (classic)
// or messages (sharded) under key: "socket.io#/chat#".
func broadcastChannel(key, nsp string) string { return key + "#" + nsp + "#" }

func (a *Adapter) encodeBroadcastWithAck(id string, p *parser.Packet, opts socketio.BroadcastOptions) ([]byte, string, error) {
	if a.o.Sharded {
		return a.encodeShardedBroadcast(a.nsp.Name(), id, p, opts)
	}
	w := optsOf(opts, true)
	w.Flags.Volatile = false
	msg, err := mpMarshal(&classicReq{
		UID: a.uid, RequestID: id, Type: reqBroadcast,
		Packet: &wirePacket{Type: int(parser.Event), Data: p.Data, Nsp: a.nsp.Name()},
		Opts:   &w,
	})
	return msg, a.reqChan, err
}

func (a *Adapter) publishJSON(channel string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return a.publish(channel, b)
}

// request publishes a classic request (JSON) or sharded message and waits
// for expected answers.
func (a *Adapter) ask(ctx context.Context, p *pending, what string, timeout time.Duration, classic classicReq, shardedType int, shardedData any) error {
	nodes, err := a.numSub(ctx)
	if err != nil {
		return err
	}
	p.expected = nodes - 1
	if p.expected <= 0 {
		return nil
	}
	id := a.newRequestID()
	if err := a.register(id, p); err != nil {
		return err
	}
	if a.o.Sharded {
		setRequestID(shardedData, id)
		err = a.publishSharded(a.channel, shardedType, shardedData)
	} else {
		classic.UID, classic.RequestID = a.uid, id
		err = a.publishJSON(a.reqChan, &classic)
	}
	if err != nil {
		a.mu.Lock()
		delete(a.requests, id)
		a.mu.Unlock()
		return err
	}
	return a.await(ctx, id, p, what, timeout)
}

// AllRooms implements socketio.Adapter (classic mode; the sharded adapter
// has no such request and returns this node's rooms, as Node's).
func (a *Adapter) AllRooms(ctx context.Context) ([]socketio.Room, error) {
	local := a.Rooms()
	if a.o.Sharded {
		return local, nil
	}
	p := &pending{typ: reqAllRooms, rooms: make(map[string]struct{})}
	for _, r := range local {
		p.rooms[r] = struct{}{}
	}
	err := a.ask(ctx, p, "allRooms", 0, classicReq{Type: reqAllRooms}, 0, nil)
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]socketio.Room, 0, len(p.rooms))
	for r := range p.rooms {
		out = append(out, r)
	}
	return out, err
}

// FetchSockets implements socketio.Adapter: this node's sockets and the
// other nodes'. A remote socket's Data is a parser.Value (decode it with
// Value.Decode), as is its Handshake.Auth.
func (a *Adapter) FetchSockets(ctx context.Context, opts socketio.BroadcastOptions) ([]socketio.SocketInfo, error) {
	local := a.LocalFetchSockets(opts)
	if opts.Flags.Local {
		return local, nil
	}
	p := &pending{typ: reqRemoteFetch, sockets: local}
	if a.o.Sharded {
		p.typ = msgFetchSockets
	}
	w := optsOf(opts, false)
	ws := optsOf(opts, true)
	err := a.ask(ctx, p, "fetchSockets", opts.Flags.Timeout,
		classicReq{Type: reqRemoteFetch, Opts: &w}, msgFetchSockets, &sFetch{Opts: ws})
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]socketio.SocketInfo(nil), p.sockets...), err
}

// AddSockets implements socketio.Adapter.
func (a *Adapter) AddSockets(opts socketio.BroadcastOptions, rooms []socketio.Room) error {
	a.LocalAddSockets(opts, rooms)
	if opts.Flags.Local {
		return nil
	}
	if a.o.Sharded {
		return a.publishSharded(a.channel, msgSocketsJoin, &sRooms{Opts: optsOf(opts, true), Rooms: nonNil(rooms)})
	}
	w := optsOf(opts, false)
	return a.publishJSON(a.reqChan, &classicReq{UID: a.uid, Type: reqRemoteJoin, Opts: &w, Rooms: nonNil(rooms)})
}

// DelSockets implements socketio.Adapter.
func (a *Adapter) DelSockets(opts socketio.BroadcastOptions, rooms []socketio.Room) error {
	a.LocalDelSockets(opts, rooms)
	if opts.Flags.Local {
		return nil
	}
	if a.o.Sharded {
		return a.publishSharded(a.channel, msgSocketsLeave, &sRooms{Opts: optsOf(opts, true), Rooms: nonNil(rooms)})
	}
	w := optsOf(opts, false)
	return a.publishJSON(a.reqChan, &classicReq{UID: a.uid, Type: reqRemoteLeave, Opts: &w, Rooms: nonNil(rooms)})
}

// DisconnectSockets implements socketio.Adapter.
func (a *Adapter) DisconnectSockets(opts socketio.BroadcastOptions, close bool) error {
	a.LocalDisconnectSockets(opts, close)
	if opts.Flags.Local {
		return nil
	}
	if a.o.Sharded {
		return a.publishSharded(a.channel, msgDisconnectSockets, &sDisconnect{Opts: optsOf(opts, true), Close: close})
	}
	w := optsOf(opts, false)
	return a.publishJSON(a.reqChan, &classicReq{UID: a.uid, Type: reqRemoteDisconnect, Opts: &w, Close: &close})
}

// ServerSideEmit implements socketio.Adapter. With onAck, it waits for
// every other node's answer (the first argument its handler acked with)
// until ctx ends or RequestsTimeout, then returns an error wrapping
// ErrTimeout.
func (a *Adapter) ServerSideEmit(ctx context.Context, args []any, onAck func([]parser.Value)) error {
	vals := parser.ValuesOf(args...)
	if onAck == nil {
		if a.o.Sharded {
			return a.publishSharded(a.channel, msgServerSideEmit, &sSSE{Packet: vals})
		}
		return a.publishJSON(a.reqChan, &classicReq{UID: a.uid, Type: reqServerSideEmit, Data: vals})
	}
	p := &pending{typ: reqServerSideEmit, onAck: onAck}
	if a.o.Sharded {
		p.typ = msgServerSideEmit
	}
	return a.ask(ctx, p, "serverSideEmit", 0,
		classicReq{Type: reqServerSideEmit, Data: vals}, msgServerSideEmit, &sSSE{Packet: vals})
}

// onBroadcast handles a message on the broadcast channels (classic).
func (a *Adapter) onBroadcast(channel string, payload []byte) {
	if len(channel) < len(a.channel) || channel[:len(a.channel)] != a.channel {
		return
	}
	if err := checkNesting(payload); err != nil {
		a.logf("message dropped", err, "channel", channel)
		return
	}
	dec := msgpack.NewDecoder(bytes.NewReader(payload))
	dec.SetCustomStructTag("json")
	n, err := dec.DecodeArrayLen()
	if err == nil && n < 3 {
		err = fmt.Errorf("an array of %d elements, not [uid, packet, opts]", n)
	}
	var uid string
	if err == nil {
		uid, err = dec.DecodeString()
	}
	if err != nil {
		a.logf("message dropped", err, "channel", channel)
		return
	}
	if uid == a.uid {
		return
	}
	var pkt wirePacket
	var w wireOpts
	if err := dec.Decode(&pkt); err != nil {
		a.logf("message dropped", err, "channel", channel)
		return
	}
	if err := dec.Decode(&w); err != nil {
		a.logf("message dropped", err, "channel", channel)
		return
	}
	if pkt.Nsp == "" {
		pkt.Nsp = "/"
	}
	if pkt.Nsp != a.nsp.Name() {
		return
	}
	if !validEvent(pkt.Data) {
		a.logf("message dropped", errInvalidEvent, "channel", channel)
		return
	}
	_ = a.MemoryAdapter.Broadcast(packetOf(&pkt, a.nsp.Name()), w.options())
}

// respond publishes the answer to a classic request.
func (a *Adapter) respond(req *classicReq, payload []byte) {
	ch := a.respChan
	if a.o.PublishOnSpecificResponseChannel {
		ch = a.respChan + req.UID + "#"
	}
	_ = a.publish(ch, payload)
}

func (a *Adapter) respondJSON(req *classicReq, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		a.logf("encode response", err)
		return
	}
	a.respond(req, b)
}

func (a *Adapter) ownRequest(id string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.requests[id] != nil
}

// onRequest handles a classic request from another node or an emitter.
func (a *Adapter) onRequest(channel string, payload []byte) {
	var req classicReq
	if err := decode(payload, &req); err != nil {
		a.logf("message dropped", err, "channel", channel)
		return
	}
	switch req.Type {
	case reqSockets:
		if a.ownRequest(req.RequestID) {
			return
		}
		ids := []string{}
		for _, s := range a.LocalFetchSockets(socketio.BroadcastOptions{Rooms: req.Rooms}) {
			ids = append(ids, s.ID)
		}
		a.respondJSON(&req, &idsResp{RequestID: req.RequestID, Sockets: ids})
	case reqAllRooms:
		if a.ownRequest(req.RequestID) {
			return
		}
		a.respondJSON(&req, &roomsResp{RequestID: req.RequestID, Rooms: nonNil(a.Rooms())})
	case reqRemoteJoin, reqRemoteLeave, reqRemoteDisconnect:
		if req.UID == a.uid {
			return // applied locally when sent
		}
		if req.Opts != nil {
			o := req.Opts.options()
			switch req.Type {
			case reqRemoteJoin:
				a.LocalAddSockets(o, req.Rooms)
			case reqRemoteLeave:
				a.LocalDelSockets(o, req.Rooms)
			default:
				a.LocalDisconnectSockets(o, req.Close != nil && *req.Close)
			}
			return
		}
		s := a.nsp.Socket(req.SID)
		if s == nil {
			return
		}
		switch req.Type {
		case reqRemoteJoin:
			if err := s.Join(req.Room); err != nil {
				socketio.ServerLogger(a.nsp.Server()).Debug("redisadapter: remote join refused", "nsp", a.nsp.Name(), "socket", s.ID(), "err", err)
			}
		case reqRemoteLeave:
			s.Leave(req.Room)
		default:
			s.Disconnect(req.Close != nil && *req.Close)
		}
		a.respondJSON(&req, &ackOnlyResp{RequestID: req.RequestID})
	case reqRemoteFetch:
		if a.ownRequest(req.RequestID) {
			return
		}
		socks := a.LocalFetchSockets(req.Opts.options())
		a.respondJSON(&req, &socketsResp{RequestID: req.RequestID, Sockets: outSocketsOf(socks)})
	case reqServerSideEmit:
		if req.UID == a.uid || len(req.Data) == 0 {
			return
		}
		a.deliverSSE(req.Data, req.RequestID != "", func(arg *parser.Value) {
			a.respondJSON(&req, &valueResp{Type: reqServerSideEmit, RequestID: req.RequestID, Data: arg})
		})
	case reqBroadcast:
		// Its own request was delivered locally when it was made; known by
		// its uid, also once nobody awaits its answers (a request published
		// late, after a Redis outage, would reach the local sockets twice).
		if req.Packet == nil || req.UID == a.uid {
			return
		}
		if !validEvent(req.Packet.Data) {
			// Reached no one: say so, rather than keep the sender waiting.
			a.logf("message dropped", errInvalidEvent, "channel", a.reqChan)
			a.respondJSON(&req, &countResp{Type: reqBroadcastCount, RequestID: req.RequestID})
			return
		}
		o := req.Opts.options()
		o.Flags.Volatile = false
		a.broadcastForPeer(req.Packet, o, func(n int) {
			a.respondJSON(&req, &countResp{Type: reqBroadcastCount, RequestID: req.RequestID, ClientCount: n})
		}, func(v parser.Value) {
			b, err := mpMarshal(&valueResp{Type: reqBroadcastAck, RequestID: req.RequestID, Packet: &v})
			if err != nil {
				a.logf("encode ack", err)
				return
			}
			a.respond(&req, b)
		})
	}
}

// deliverSSE hands a server-side emit to the namespace; with withAck,
// answer publishes the handler's first ack argument, once.
func (a *Adapter) deliverSSE(data []parser.Value, withAck bool, answer func(*parser.Value)) {
	event, ok := data[0].AsString()
	if !ok {
		return
	}
	var ack func([]any) error
	if withAck {
		var once bool
		ack = func(args []any) error {
			if once {
				return nil
			}
			once = true
			var v *parser.Value
			if len(args) > 0 {
				x := parser.ValueOf(args[0])
				v = &x
			}
			answer(v)
			return nil
		}
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	a.hwg.Add(1)
	a.mu.Unlock()
	go func() {
		defer a.hwg.Done()
		a.nsp.DeliverServerSideEmit(event, data[1:], ack)
	}()
}

// broadcastForPeer runs a broadcast with acks another node asked for:
// onCount gets this node's number of recipients, onAck each answer's first
// argument.
func (a *Adapter) broadcastForPeer(w *wirePacket, o socketio.BroadcastOptions, onCount func(int), onAck func(parser.Value)) {
	p := packetOf(w, a.nsp.Name())
	p.ID, p.HasID = a.nsp.NextAckID(), true
	timeout := o.Flags.Timeout
	if timeout <= 0 {
		timeout = a.o.RequestsTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	time.AfterFunc(timeout, cancel)
	n, err := a.LocalBroadcastWithAck(ctx, p, o, func(r socketio.AckResult) {
		var v parser.Value
		if len(r.Args) > 0 {
			v = r.Args[0]
		}
		onAck(v)
	})
	if err != nil {
		a.logf("broadcast with ack", err)
	}
	onCount(n)
}

// onResponse handles a classic response.
func (a *Adapter) onResponse(channel string, payload []byte) {
	var r classicResp
	if err := decode(payload, &r); err != nil {
		a.logf("message dropped", err, "channel", channel)
		return
	}
	if r.RequestID == "" {
		return
	}
	switch r.Type {
	case reqBroadcastCount:
		a.ackCount(r.RequestID, r.ClientCount)
		return
	case reqBroadcastAck:
		a.ackAnswer(r.RequestID, r.Packet)
		return
	}
	a.mu.Lock()
	p := a.requests[r.RequestID]
	if p == nil {
		a.mu.Unlock()
		return
	}
	switch p.typ {
	case reqAllRooms:
		for _, room := range r.Rooms {
			p.rooms[room] = struct{}{}
		}
	case reqRemoteFetch:
		for i := range r.Sockets {
			p.sockets = append(p.sockets, r.Sockets[i].info())
		}
	case reqServerSideEmit:
		var v parser.Value
		if r.Data != nil {
			v = *r.Data
		}
		if p.onAck != nil {
			p.onAck([]parser.Value{v})
		}
	}
	a.answeredLocked(r.RequestID, p.typ)
	a.mu.Unlock()
}
