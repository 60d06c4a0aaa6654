package redisadapter

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
)

// shardedMsg is the envelope of the sharded adapter.
type shardedMsg struct {
	Type int    `json:"type"`
	Data any    `json:"data"`
	UID  string `json:"uid"`
	Nsp  string `json:"nsp"`
}

// shardedIn is any sharded message, for decoding.
type shardedIn struct {
	Type int         `json:"type"`
	Data shardedData `json:"data"`
	UID  string      `json:"uid"`
	Nsp  string      `json:"nsp"`
}

type shardedData struct {
	Packet      parser.Value `json:"packet"`
	RequestID   string       `json:"requestId"`
	Opts        *wireOpts    `json:"opts"`
	Rooms       roomList     `json:"rooms"`
	Close       bool         `json:"close"`
	ClientCount int          `json:"clientCount"`
	Sockets     []wireSocket `json:"sockets"`
}

// Bodies, in Node's key order.
type (
	sBroadcast struct {
		Packet    wirePacket `json:"packet"`
		RequestID string     `json:"requestId,omitempty"`
		Opts      wireOpts   `json:"opts"`
	}
	sRooms struct {
		Opts  wireOpts `json:"opts"`
		Rooms []string `json:"rooms"`
	}
	sDisconnect struct {
		Opts  wireOpts `json:"opts"`
		Close bool     `json:"close"`
	}
	sFetch struct {
		Opts      wireOpts `json:"opts"`
		RequestID string   `json:"requestId"`
	}
	sFetchResp struct {
		RequestID string      `json:"requestId"`
		Sockets   []outSocket `json:"sockets"`
	}
	sSSE struct {
		RequestID string         `json:"requestId,omitempty"`
		Packet    []parser.Value `json:"packet"`
	}
	sValue struct {
		RequestID string        `json:"requestId"`
		Packet    *parser.Value `json:"packet,omitempty"`
	}
	sCount struct {
		RequestID   string `json:"requestId"`
		ClientCount int    `json:"clientCount"`
	}
)

func setRequestID(body any, id string) {
	switch b := body.(type) {
	case *sFetch:
		b.RequestID = id
	case *sSSE:
		b.RequestID = id
	}
}

// keySlot returns the Redis Cluster slot of a key or sharded channel: the
// CRC16 (XMODEM) of its hash tag, or of the whole key when it has none,
// modulo 16384.
func keySlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	var crc uint16
	for i := 0; i < len(key); i++ {
		crc ^= uint16(key[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return int(crc) % 16384
}

// looksLikeASocketID is the sharded adapter's test for private rooms.
func looksLikeASocketID(room string) bool { return len(room) == 20 }

// encodeSharded encodes an envelope: MessagePack when a type that may carry
// binary (broadcast, acks, server-side emits, fetched sockets' data) does,
// JSON otherwise.
func (a *Adapter) encodeSharded(typ int, body any) ([]byte, error) {
	return a.encodeShardedFor(a.nsp.Name(), typ, body)
}

// encodeShardedFor is encodeSharded for namespace nsp.
func (a *Adapter) encodeShardedFor(nsp string, typ int, body any) ([]byte, error) {
	m := &shardedMsg{Type: typ, Data: body, UID: a.uid, Nsp: nsp}
	bin := false
	switch b := body.(type) {
	case *sBroadcast:
		bin = hasBinary(b.Packet.Data)
	case *sSSE:
		bin = hasBinary(b.Packet)
	case *sValue:
		bin = b.Packet != nil && hasBinary([]parser.Value{*b.Packet})
	case *sFetchResp:
		for i := range b.Sockets {
			if hasBinary([]parser.Value{b.Sockets[i].Data, b.Sockets[i].Handshake.Auth}) {
				bin = true
				break
			}
		}
	}
	if bin {
		return mpMarshal(m)
	}
	return json.Marshal(m)
}

func (a *Adapter) publishSharded(channel string, typ int, body any) error {
	b, err := a.encodeSharded(typ, body)
	if err != nil {
		return err
	}
	return a.publish(channel, b)
}

// encodeShardedBroadcast encodes a BROADCAST (with acks when id is set) and
// picks its channel: a room channel for a broadcast without acks to one
// public room (dynamic modes), the main channel else.
func (a *Adapter) encodeShardedBroadcast(nsp, id string, p *parser.Packet, opts socketio.BroadcastOptions) ([]byte, string, error) {
	w := optsOf(opts, true)
	body := &sBroadcast{Packet: wirePacket{Type: int(parser.Event), Data: p.Data}, RequestID: id, Opts: w}
	channel := a.channelOf(nsp)
	if id == "" && len(w.Rooms) == 1 {
		r := w.Rooms[0]
		if a.o.SubscriptionMode == DynamicPrivate || (a.o.SubscriptionMode == Dynamic && !looksLikeASocketID(r)) {
			channel += r + "#"
		}
	}
	b, err := a.encodeShardedFor(nsp, msgBroadcast, body)
	return b, channel, err
}

// onSharded handles a message of the sharded adapter.
func (a *Adapter) onSharded(channel string, payload []byte) {
	var m shardedIn
	if err := decode(payload, &m); err != nil {
		a.logf("message dropped", err, "channel", channel)
		return
	}
	if m.UID == a.uid {
		return
	}
	if m.Nsp == "" {
		m.Nsp = "/"
	}
	if m.Nsp != a.nsp.Name() {
		return
	}
	d := &m.Data
	reply := func(typ int, body any) {
		_ = a.publishSharded(a.channel+m.UID+"#", typ, body)
	}
	switch m.Type {
	case msgBroadcast:
		var w wirePacket
		if err := d.Packet.Decode(&w); err != nil {
			return
		}
		if !validEvent(w.Data) {
			a.logf("message dropped", errInvalidEvent, "channel", channel)
			if d.RequestID != "" {
				// Reached no one: say so, rather than keep the sender waiting.
				reply(msgBroadcastClientCount, &sCount{RequestID: d.RequestID})
			}
			return
		}
		o := d.Opts.options()
		if d.RequestID == "" {
			_ = a.MemoryAdapter.Broadcast(packetOf(&w, a.nsp.Name()), o)
			return
		}
		a.broadcastForPeer(&w, o, func(n int) {
			reply(msgBroadcastClientCount, &sCount{RequestID: d.RequestID, ClientCount: n})
		}, func(v parser.Value) {
			reply(msgBroadcastAck, &sValue{RequestID: d.RequestID, Packet: &v})
		})
	case msgSocketsJoin:
		a.LocalAddSockets(d.Opts.options(), d.Rooms)
	case msgSocketsLeave:
		a.LocalDelSockets(d.Opts.options(), d.Rooms)
	case msgDisconnectSockets:
		a.LocalDisconnectSockets(d.Opts.options(), d.Close)
	case msgFetchSockets:
		socks := a.LocalFetchSockets(d.Opts.options())
		reply(msgFetchSocketsResponse, &sFetchResp{RequestID: d.RequestID, Sockets: outSocketsOf(socks)})
	case msgServerSideEmit:
		var args []parser.Value
		if err := d.Packet.Decode(&args); err != nil || len(args) == 0 {
			return
		}
		id := d.RequestID
		a.deliverSSE(args, id != "", func(v *parser.Value) {
			reply(msgServerSideEmitResp, &sValue{RequestID: id, Packet: v})
		})
	case msgBroadcastClientCount:
		a.ackCount(d.RequestID, d.ClientCount)
	case msgBroadcastAck:
		a.ackAnswer(d.RequestID, d.Packet)
	case msgFetchSocketsResponse, msgServerSideEmitResp:
		a.mu.Lock()
		defer a.mu.Unlock()
		p := a.requests[d.RequestID]
		if p == nil {
			return
		}
		if m.Type == msgFetchSocketsResponse && p.typ == msgFetchSockets {
			for i := range d.Sockets {
				p.sockets = append(p.sockets, d.Sockets[i].info())
			}
		} else if m.Type == msgServerSideEmitResp && p.typ == msgServerSideEmit && p.onAck != nil {
			p.onAck([]parser.Value{d.Packet})
		}
		a.answeredLocked(d.RequestID, p.typ)
	}
}

// dynamic reports whether room has its own channel in sharded mode.
func (a *Adapter) dynamic(room string) bool {
	if !a.o.Sharded {
		return false
	}
	switch a.o.SubscriptionMode {
	case Dynamic:
		return !looksLikeASocketID(room)
	case DynamicPrivate:
		return true
	}
	return false
}

func (a *Adapter) tracksRooms() bool {
	return a.o.Sharded && a.o.SubscriptionMode != Static
}

// AddAll implements socketio.Adapter; in sharded dynamic mode it subscribes
// to the channel of a room when its first local socket joins.
func (a *Adapter) AddAll(id string, rooms ...socketio.Room) {
	if !a.tracksRooms() {
		a.MemoryAdapter.AddAll(id, rooms...)
		return
	}
	a.roomMu.Lock()
	defer a.roomMu.Unlock()
	before := a.MemoryAdapter.SocketRooms(id)
	a.MemoryAdapter.AddAll(id, rooms...)
	for _, r := range rooms {
		if slices.Contains(before, r) {
			continue
		}
		before = append(before, r)
		if a.dynamic(r) {
			a.roomRefs[r]++
			if a.roomRefs[r] == 1 {
				a.changeSub(op{kind: opSSubscribe, channel: a.channel + r + "#"})
			}
		}
	}
}

func (a *Adapter) leftLocked(r string) {
	if !a.dynamic(r) {
		return
	}
	a.roomRefs[r]--
	if a.roomRefs[r] <= 0 {
		delete(a.roomRefs, r)
		a.changeSub(op{kind: opSUnsubscribe, channel: a.channel + r + "#"})
	}
}

// Del implements socketio.Adapter.
func (a *Adapter) Del(id string, room socketio.Room) {
	if !a.tracksRooms() {
		a.MemoryAdapter.Del(id, room)
		return
	}
	a.roomMu.Lock()
	defer a.roomMu.Unlock()
	before := a.MemoryAdapter.SocketRooms(id)
	a.MemoryAdapter.Del(id, room)
	if slices.Contains(before, room) {
		a.leftLocked(room)
	}
}

// DelAll implements socketio.Adapter.
func (a *Adapter) DelAll(id string) {
	if !a.tracksRooms() {
		a.MemoryAdapter.DelAll(id)
		return
	}
	a.roomMu.Lock()
	defer a.roomMu.Unlock()
	before := a.MemoryAdapter.SocketRooms(id)
	a.MemoryAdapter.DelAll(id)
	for _, r := range before {
		a.leftLocked(r)
	}
}
