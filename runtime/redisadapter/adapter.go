// Package redisadapter connects the namespaces of several siogen servers
// through Redis, wire-compatible with the npm packages
// @socket.io/redis-adapter 8.3 (classic and sharded) and
// @socket.io/redis-emitter 5.1: Go nodes and Node socket.io nodes can share
// one cluster, and external processes can emit to it with [Emitter].
//
//	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379"})
//	srv := socketio.NewServer(&socketio.ServerOptions{
//		Adapter: redisadapter.New(rdb, nil),
//	})
//
// Classic mode (the default) uses PUBLISH / PSUBSCRIBE / SUBSCRIBE, like
// createAdapter(pub, sub); with Options.Sharded it uses SPUBLISH /
// SSUBSCRIBE (Redis 7 or later), like createShardedAdapter(pub, sub).
//
// Local delivery never waits for Redis: a broadcast reaches this node's
// sockets first, and what goes to the other nodes is queued and published
// by one goroutine per namespace, in order, in pipelined batches. When Redis
// is away, go-redis reconnects and restores the subscriptions; what is
// published meanwhile may be lost or may arrive late, once Redis is back
// (rely on neither), and requests to other nodes (FetchSockets, AllRooms,
// ServerSideEmitWithAck, broadcasts with acks) end with an error: the Redis
// error when it cannot be reached, one wrapping [ErrTimeout] when nodes did
// not answer in time. A request that ended with an error may still reach
// the other nodes once Redis is back.
package redisadapter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/siogen/siogen/runtime/parser"
	"github.com/siogen/siogen/runtime/socketio"
)

// SubscriptionMode is how a sharded adapter subscribes to room channels.
type SubscriptionMode int

const (
	// Dynamic subscribes to one channel per public room (not socket ids):
	// a broadcast to one such room reaches only the nodes that have it.
	Dynamic SubscriptionMode = iota
	// DynamicPrivate also subscribes to the private room of every socket.
	DynamicPrivate
	// Static uses only the namespace's main channel.
	Static
)

// Options configure the adapter. The zero value is the Node defaults.
type Options struct {
	// Key prefixes every channel (Node's key / channelPrefix). Default "socket.io".
	Key string
	// RequestsTimeout bounds how long a request to the other nodes waits for
	// their answers. Default 5s.
	RequestsTimeout time.Duration
	// PublishOnSpecificResponseChannel answers a request on the requester's
	// own response channel instead of the common one (classic mode).
	PublishOnSpecificResponseChannel bool
	// Sharded selects the sharded adapter (SSUBSCRIBE / SPUBLISH, Redis 7+).
	Sharded bool
	// SubscriptionMode of the sharded adapter. Default Dynamic.
	SubscriptionMode SubscriptionMode
	// Subscriber, when set, is the client used for subscriptions; the client
	// passed to New then only publishes. Default: the same client (go-redis
	// gives every subscription its own connection anyway).
	Subscriber redis.UniversalClient
	// QueueSize bounds the publish queue of each namespace; when it is full
	// (Redis slow or away) messages to the other nodes are dropped, and
	// Broadcast returns ErrQueueFull after delivering locally. Default 8192.
	QueueSize int
	// Logger receives errors talking to Redis. Default slog.Default().
	Logger *slog.Logger
}

var (
	// ErrTimeout is wrapped by the errors of requests that other nodes did
	// not all answer within RequestsTimeout (or the context's deadline).
	ErrTimeout = errors.New("redisadapter: timeout reached")
	// ErrQueueFull is returned when a message for the other nodes could not
	// be queued; local delivery has happened.
	ErrQueueFull = errors.New("redisadapter: publish queue full, message to other nodes dropped")
	// ErrClosed is returned by an adapter after Close.
	ErrClosed = errors.New("redisadapter: adapter closed")

	// errInvalidEvent is logged for a broadcast from Redis that no client
	// would accept.
	errInvalidEvent = errors.New("not a valid event (no name, a name neither string nor number, or a reserved one)")
)

func (o *Options) withDefaults() Options {
	var c Options
	if o != nil {
		c = *o
	}
	if c.Key == "" {
		c.Key = "socket.io"
	}
	if c.RequestsTimeout <= 0 {
		c.RequestsTimeout = 5 * time.Second
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 8192
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// New returns the adapter factory for socketio.ServerOptions.Adapter: every
// namespace gets an adapter on client. Closing the server closes the
// adapters; the client stays open (close it after the server).
func New(client redis.UniversalClient, opts *Options) socketio.AdapterFactory {
	o := opts.withDefaults()
	return func(nsp *socketio.Namespace) socketio.Adapter {
		return newAdapter(nsp, client, o)
	}
}

// Adapter is the Redis adapter of one namespace. It embeds the in-memory
// adapter for this node's sockets.
type Adapter struct {
	*socketio.MemoryAdapter
	nsp *socketio.Namespace
	o   Options
	pub redis.UniversalClient
	sub redis.UniversalClient
	uid string

	channel      string // broadcasts (classic) / main channel (sharded)
	reqChan      string // classic
	respChan     string // classic
	specRespChan string // classic: our own response channel
	ownChan      string // sharded: our own response channel

	ps    *redis.PubSub // all subscriptions, but those of a sharded adapter on a Redis Cluster
	queue chan op
	stop  chan struct{}
	wg    sync.WaitGroup // the loops
	hwg   sync.WaitGroup // server-side emit handlers

	mu       sync.Mutex
	closed   bool
	requests map[string]*pending
	acks     map[string]*ackPending

	roomMu   sync.Mutex
	roomRefs map[string]int // sharded dynamic: local sockets per subscribed room

	subMu  sync.Mutex
	subOps []op          // sharded dynamic: SSUBSCRIBE / SUNSUBSCRIBE to run, in order
	subSig chan struct{} // one token when subOps has some

	// A sharded adapter on a Redis Cluster has a PubSub per slot: an
	// SSUBSCRIBE names channels of one slot only (go-redis restores all the
	// channels of a PubSub in one), which one server of the cluster holds.
	clustered   bool
	slotMu      sync.Mutex
	slots       map[int]*redis.PubSub
	slotChans   map[int]int // channels subscribed, per slot
	slotsClosed bool

	logMu   sync.Mutex
	lastLog time.Time
	lost    atomic.Int64 // messages not published since the last warning that said so
}

type opKind uint8

const (
	opPublish opKind = iota
	opSSubscribe
	opSUnsubscribe
)

type op struct {
	kind    opKind
	channel string
	payload []byte
}

// pending is a request waiting for other nodes' answers.
type pending struct {
	typ      int
	expected int
	got      int
	rooms    map[string]struct{}
	sockets  []socketio.SocketInfo
	onAck    func([]parser.Value)
	done     chan struct{}
}

// ackPending is a broadcast with acks waiting for other nodes' counts and
// their clients' answers.
type ackPending struct {
	onAck   func(socketio.AckResult)
	count   int
	nCounts int
	notify  chan struct{}
}

func newAdapter(nsp *socketio.Namespace, client redis.UniversalClient, o Options) *Adapter {
	a := &Adapter{
		MemoryAdapter: socketio.NewMemoryAdapter(nsp),
		nsp:           nsp,
		o:             o,
		pub:           client,
		sub:           client,
		queue:         make(chan op, o.QueueSize),
		stop:          make(chan struct{}),
		requests:      make(map[string]*pending),
		acks:          make(map[string]*ackPending),
		roomRefs:      make(map[string]int),
		subSig:        make(chan struct{}, 1),
	}
	if o.Subscriber != nil {
		a.sub = o.Subscriber
	}
	name := nsp.Name()
	a.channel = broadcastChannel(o.Key, name)
	ctx, cancel := context.WithTimeout(context.Background(), o.RequestsTimeout)
	defer cancel()
	want := 0
	_, a.clustered = a.sub.(*redis.ClusterClient)
	a.clustered = a.clustered && o.Sharded
	if a.clustered {
		a.uid = randomID(8)
		a.ownChan = a.channel + a.uid + "#"
		a.slots = make(map[int]*redis.PubSub)
		a.slotChans = make(map[int]int)
		bySlot := make(map[int][]string)
		for _, ch := range []string{a.channel, a.ownChan} {
			bySlot[keySlot(ch)] = append(bySlot[keySlot(ch)], ch)
		}
		for slot, chans := range bySlot {
			ps := a.sub.SSubscribe(ctx, chans...)
			a.confirm(ctx, ps, len(chans))
			a.slots[slot], a.slotChans[slot] = ps, len(chans)
			a.wg.Add(1)
			go a.readLoop(ps.Channel(redis.WithChannelSize(1024)))
		}
		a.wg.Add(1)
		go a.writeLoop()
		return a
	}
	if o.Sharded {
		a.uid = randomID(8)
		a.ownChan = a.channel + a.uid + "#"
		a.ps = a.sub.SSubscribe(ctx, a.channel, a.ownChan)
		want = 2
	} else {
		a.uid = uid2(6)
		a.reqChan = o.Key + "-request#" + name + "#"
		a.respChan = o.Key + "-response#" + name + "#"
		a.specRespChan = a.respChan + a.uid + "#"
		a.ps = a.sub.PSubscribe(ctx, a.channel+"*")
		if err := a.ps.Subscribe(ctx, a.reqChan, a.respChan, a.specRespChan); err != nil {
			a.logf("subscribe", err)
		}
		want = 4
	}
	a.confirm(ctx, a.ps, want)
	ch := a.ps.Channel(redis.WithChannelSize(1024))
	a.wg.Add(2)
	go a.readLoop(ch)
	go a.writeLoop()
	return a
}

// confirm waits until Redis confirmed want subscriptions of ps, so that
// this node is counted (PUBSUB NUMSUB) and receives what is published from
// now on.
func (a *Adapter) confirm(ctx context.Context, ps *redis.PubSub, want int) {
	for got := 0; got < want; {
		m, err := ps.Receive(ctx)
		if err != nil {
			a.logf("subscribe", err)
			return
		}
		switch m := m.(type) {
		case *redis.Subscription:
			got++
		case *redis.Message:
			a.handle(m)
		}
	}
}

// ssubscribe subscribes to a sharded channel; on a Redis Cluster, with the
// PubSub of its slot, made on first use.
func (a *Adapter) ssubscribe(ctx context.Context, channel string) error {
	if !a.clustered {
		return a.ps.SSubscribe(ctx, channel)
	}
	slot := keySlot(channel)
	a.slotMu.Lock()
	defer a.slotMu.Unlock()
	if a.slotsClosed {
		return ErrClosed
	}
	a.slotChans[slot]++
	if ps := a.slots[slot]; ps != nil {
		return ps.SSubscribe(ctx, channel)
	}
	ps := a.sub.SSubscribe(ctx)
	err := ps.SSubscribe(ctx, channel) // recorded even when it fails, restored on reconnection
	a.slots[slot] = ps
	a.wg.Add(1)
	go a.readLoop(ps.Channel(redis.WithChannelSize(1024)))
	return err
}

// sunsubscribe unsubscribes from a sharded channel; on a Redis Cluster the
// PubSub of its slot is closed with its last channel.
func (a *Adapter) sunsubscribe(ctx context.Context, channel string) error {
	if !a.clustered {
		return a.ps.SUnsubscribe(ctx, channel)
	}
	slot := keySlot(channel)
	a.slotMu.Lock()
	defer a.slotMu.Unlock()
	ps := a.slots[slot]
	if a.slotsClosed || ps == nil {
		return nil
	}
	if a.slotChans[slot]--; a.slotChans[slot] > 0 {
		return ps.SUnsubscribe(ctx, channel)
	}
	delete(a.slots, slot)
	delete(a.slotChans, slot)
	return ps.Close()
}

// UID returns the adapter's id on the wire.
func (a *Adapter) UID() string { return a.uid }

// logf warns of err, at most once a second (attrs are more slog
// key-value pairs); it reports whether it did.
func (a *Adapter) logf(what string, err error, attrs ...any) bool {
	a.logMu.Lock()
	now := time.Now()
	if now.Sub(a.lastLog) < time.Second {
		a.logMu.Unlock()
		return false
	}
	a.lastLog = now
	a.logMu.Unlock()
	a.o.Logger.Warn("redisadapter: "+what, append([]any{"nsp", a.nsp.Name(), "err", err}, attrs...)...)
	return true
}

func (a *Adapter) readLoop(ch <-chan *redis.Message) {
	defer a.wg.Done()
	for m := range ch {
		a.handle(m)
	}
}

func (a *Adapter) handle(m *redis.Message) {
	payload := []byte(m.Payload)
	if a.o.Sharded {
		a.onSharded(m.Channel, payload)
		return
	}
	switch {
	case m.Pattern != "":
		a.onBroadcast(m.Channel, payload)
	case m.Channel == a.reqChan:
		a.onRequest(m.Channel, payload)
	case m.Channel == a.respChan || m.Channel == a.specRespChan:
		a.onResponse(m.Channel, payload)
	}
}

// writeLoop publishes the queue in order, in pipelined batches.
func (a *Adapter) writeLoop() {
	defer a.wg.Done()
	batch := make([]op, 0, 256)
	for {
		var first op
		select {
		case first = <-a.queue:
		case <-a.subSig:
			a.subMu.Lock()
			subs := a.subOps
			a.subOps = nil
			a.subMu.Unlock()
			a.run(subs, a.o.RequestsTimeout)
			continue
		case <-a.stop:
			// Flush what was queued before Close, briefly.
			for {
				select {
				case o := <-a.queue:
					batch = append(batch, o)
					if len(batch) < 256 {
						continue
					}
				default:
				}
				if len(batch) == 0 {
					return
				}
				a.run(batch, time.Second)
				batch = batch[:0]
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < 256 {
			select {
			case o := <-a.queue:
				batch = append(batch, o)
			default:
				break fill
			}
		}
		a.run(batch, a.o.RequestsTimeout)
		clear(batch)
	}
}

func (a *Adapter) run(batch []op, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var pipe redis.Pipeliner
	n := 0 // messages in pipe
	flush := func() {
		if pipe == nil {
			return
		}
		if _, err := pipe.Exec(ctx); err != nil {
			// How many were lost (since the last warning that said so),
			// and the deadline that ran out, if that is what happened.
			lost := a.lost.Add(int64(n))
			if a.logf("messages not published", err, "messages", lost, "deadline", timeout) {
				a.lost.Add(-lost)
			}
		}
		pipe, n = nil, 0
	}
	for _, o := range batch {
		switch o.kind {
		case opPublish:
			if pipe == nil {
				pipe = a.pub.Pipeline()
			}
			n++
			if a.o.Sharded {
				pipe.SPublish(ctx, o.channel, o.payload)
			} else {
				pipe.Publish(ctx, o.channel, o.payload)
			}
		case opSSubscribe:
			flush()
			if err := a.ssubscribe(ctx, o.channel); err != nil {
				a.logf("ssubscribe", err)
			}
		case opSUnsubscribe:
			flush()
			if err := a.sunsubscribe(ctx, o.channel); err != nil {
				a.logf("sunsubscribe", err)
			}
		}
	}
	flush()
}

// enqueue queues an operation for the write loop without blocking.
func (a *Adapter) enqueue(o op) error {
	a.mu.Lock()
	closed := a.closed
	a.mu.Unlock()
	if closed {
		return ErrClosed
	}
	select {
	case a.queue <- o:
		return nil
	default:
		a.logf("publish", ErrQueueFull)
		return ErrQueueFull
	}
}

// changeSub queues a room subscription change for the write loop. Unlike
// messages these are never dropped when the queue is full: a lost
// SSUBSCRIBE would leave the room deaf to the other nodes for as long as it
// has local sockets.
func (a *Adapter) changeSub(o op) {
	a.subMu.Lock()
	a.subOps = append(a.subOps, o)
	a.subMu.Unlock()
	select {
	case a.subSig <- struct{}{}:
	default:
	}
}

func (a *Adapter) publish(channel string, payload []byte) error {
	return a.enqueue(op{kind: opPublish, channel: channel, payload: payload})
}

// numSub returns the number of nodes subscribed to the namespace. On a
// Redis Cluster a subscription lives on one server and PUBSUB counts only
// its own: the counts of every server are added up, as Node's adapter does.
func (a *Adapter) numSub(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, a.o.RequestsTimeout)
	defer cancel()
	count := func(ctx context.Context, c redis.Cmdable) (int64, error) {
		if a.o.Sharded {
			m, err := c.PubSubShardNumSub(ctx, a.channel).Result()
			return m[a.channel], err
		}
		m, err := c.PubSubNumSub(ctx, a.reqChan).Result()
		return m[a.reqChan], err
	}
	var n int64
	var err error
	if cc, ok := a.pub.(*redis.ClusterClient); ok {
		var total atomic.Int64
		err = cc.ForEachShard(ctx, func(ctx context.Context, c *redis.Client) error {
			k, err := count(ctx, c)
			total.Add(k)
			return err
		})
		n = total.Load()
	} else {
		n, err = count(ctx, a.pub)
	}
	if err != nil {
		return 0, fmt.Errorf("redisadapter: counting nodes: %w", err)
	}
	return int(n), nil
}

// ServerCount implements socketio.Adapter: the nodes subscribed to the
// namespace, this one included.
func (a *Adapter) ServerCount(ctx context.Context) (int, error) {
	n, err := a.numSub(ctx)
	if err != nil {
		return 1, err
	}
	return max(n, 1), nil
}

// register adds a pending request; it returns an error after Close.
func (a *Adapter) register(id string, p *pending) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return ErrClosed
	}
	p.done = make(chan struct{})
	a.requests[id] = p
	return nil
}

// await waits for a pending request to complete, ctx to end, or
// RequestsTimeout (timeout when > 0).
func (a *Adapter) await(ctx context.Context, id string, p *pending, what string, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = a.o.RequestsTimeout
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	var cause error
	select {
	case <-p.done:
		return nil
	case <-t.C:
		cause = fmt.Errorf("after %v", timeout)
	case <-ctx.Done():
		cause = ctx.Err()
	case <-a.stop:
		cause = ErrClosed
	}
	a.mu.Lock()
	delete(a.requests, id)
	got, exp := p.got, p.expected
	a.mu.Unlock()
	select {
	case <-p.done:
		return nil
	default:
	}
	return fmt.Errorf("%w while waiting for %s response: only %d of %d nodes answered: %w", ErrTimeout, what, got, exp, cause)
}

// answered records one response to a pending request; it returns the
// request, or nil when none waits for id. Called with a.mu held.
func (a *Adapter) answeredLocked(id string, typ int) *pending {
	p := a.requests[id]
	if p == nil || p.typ != typ {
		return nil
	}
	p.got++
	if p.got >= p.expected {
		delete(a.requests, id)
		close(p.done)
	}
	return p
}

// ackCount records a node's recipient count of a broadcast with acks.
func (a *Adapter) ackCount(id string, n int) {
	a.mu.Lock()
	ap := a.acks[id]
	if ap != nil {
		ap.count += n
		ap.nCounts++
	}
	a.mu.Unlock()
	if ap != nil {
		select {
		case ap.notify <- struct{}{}:
		default:
		}
	}
}

func (a *Adapter) ackAnswer(id string, v parser.Value) {
	a.mu.Lock()
	ap := a.acks[id]
	a.mu.Unlock()
	if ap != nil {
		ap.onAck(socketio.AckResult{Args: []parser.Value{v}})
	}
}

// waitCounts waits until expected nodes reported their recipient counts.
func (a *Adapter) waitCounts(ctx context.Context, ap *ackPending, expected int) (int, error) {
	t := time.NewTimer(a.o.RequestsTimeout)
	defer t.Stop()
	for {
		a.mu.Lock()
		n, got := ap.count, ap.nCounts
		a.mu.Unlock()
		if got >= expected {
			return n, nil
		}
		var cause error
		select {
		case <-ap.notify:
			continue
		case <-t.C:
			cause = fmt.Errorf("after %v", a.o.RequestsTimeout)
		case <-ctx.Done():
			cause = ctx.Err()
		case <-a.stop:
			cause = ErrClosed
		}
		return n, fmt.Errorf("%w while waiting for broadcast client counts: only %d of %d nodes answered: %w: %w",
			ErrTimeout, got, expected, socketio.ErrAckTimeout, cause)
	}
}

// BroadcastWithAck implements socketio.Adapter: p goes to the sockets opts
// selects on every node, and onAck gets every answer (remote answers carry
// the client's first ack argument and no socket id, as in Node). It returns
// once every node reported its number of recipients, or with an error
// wrapping ErrTimeout when some did not within RequestsTimeout or ctx.
func (a *Adapter) BroadcastWithAck(ctx context.Context, p *parser.Packet, opts socketio.BroadcastOptions, onAck func(socketio.AckResult)) (int, error) {
	if opts.Flags.Local {
		return a.LocalBroadcastWithAck(ctx, p, opts, onAck)
	}
	if opts.Flags.Timeout <= 0 {
		if dl, ok := ctx.Deadline(); ok {
			opts.Flags.Timeout = time.Until(dl)
		} else {
			opts.Flags.Timeout = a.o.RequestsTimeout
		}
	}
	id := a.newRequestID()
	ap := &ackPending{onAck: onAck, notify: make(chan struct{}, 1)}
	msg, channel, err := a.encodeBroadcastWithAck(id, p, opts)
	if err != nil {
		return 0, err
	}
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return a.LocalBroadcastWithAck(ctx, p, opts, onAck)
	}
	a.acks[id] = ap
	a.mu.Unlock()
	// Forget the request when the caller stops waiting for acks, or after
	// the broadcast's timeout (the other nodes stop waiting for their
	// clients then), as Node does: ctx may never end.
	forget := func() {
		a.mu.Lock()
		delete(a.acks, id)
		a.mu.Unlock()
	}
	stop := context.AfterFunc(ctx, forget)
	time.AfterFunc(opts.Flags.Timeout, func() {
		stop()
		forget()
	})
	pubErr := a.publish(channel, msg)
	local, err := a.LocalBroadcastWithAck(ctx, p, opts, onAck)
	if err != nil {
		return local, err
	}
	if pubErr != nil {
		return local, pubErr
	}
	nodes, err := a.numSub(ctx)
	if err != nil {
		return local, err
	}
	remote, err := a.waitCounts(ctx, ap, nodes-1)
	return local + remote, err
}

func (a *Adapter) newRequestID() string {
	if a.o.Sharded {
		return randomID(8)
	}
	return uid2(6)
}

// Close implements socketio.Adapter: it unsubscribes, flushes the publish
// queue, fails the requests in flight and waits for its goroutines. The
// Redis client stays open.
func (a *Adapter) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	a.mu.Unlock()
	close(a.stop)
	var err error
	if a.ps != nil {
		err = a.ps.Close()
	}
	a.slotMu.Lock()
	a.slotsClosed = true
	for _, ps := range a.slots {
		if e := ps.Close(); err == nil {
			err = e
		}
	}
	a.slotMu.Unlock()
	a.wg.Wait()
	a.hwg.Wait()
	return err
}
