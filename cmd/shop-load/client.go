package main

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Client states.
const (
	statePending int32 = iota
	stateConnected
	stateFailed // never connected
	stateClosed // connected, then lost
)

// client is one Socket.IO connection. Its reader goroutine owns track; the
// other fields are read by the runner and the progress line.
type client struct {
	id    int
	buyer *buyer // nil for a watcher

	state       atomic.Int32
	connectedAt atomic.Int64 // run nanoseconds; 0 until connected
	closedAt    atomic.Int64 // run nanoseconds; 0 while open

	// recv counts, per step, this client's receipts of purchases made in
	// that step; lost deliveries are counted over clients that stayed.
	recv []atomic.Uint32

	// track is the correlation window per buyer (see correlate.go),
	// allocated at the first receipt. Reader goroutine only.
	track []window

	ws   atomic.Pointer[websocket.Conn] // set once the WebSocket is open (goroutine reader)
	fc   atomic.Pointer[fdConn]         // set once the WebSocket is taken over (epoll reader)
	poll atomic.Pointer[pollSession]    // set once a polling session is open
}

// buyer is the purchasing side of a signed-in client.
type buyer struct {
	idx  int
	acct account

	// mu serialises writes to the connection: BUY from the scheduler, pongs
	// from the reader. Watchers write only from their reader and need none.
	mu       sync.Mutex
	seq      uint32 // next purchase number; scheduler only
	buf      []byte // scheduler only
	frame    []byte // scheduler only, under mu
	inflight atomic.Int32
	ring     emitRing
}

// handle reacts to one Engine.IO packet. It returns what to write back (a
// pong) or nil, and whether the connection is over.
func (r *runner) handle(c *client, p []byte) (reply []byte, done bool) {
	switch classify(p) {
	case kindBuyGoods:
		r.receipt(c, p)
	case kindPing:
		return framePong, false
	case kindAck:
		r.ack(c, p)
	case kindClose:
		return nil, true
	}
	return nil, false
}

// receipt matches a BUY_GOODS to its emit and records its latency.
func (r *runner) receipt(c *client, p []byte) {
	now := r.now()
	nick, g, ok := parseBuyGoods(p)
	if !ok || g < 1 || g > goodsCycle {
		r.foreign.Add(1)
		return
	}
	if r.watchOnly {
		r.watchReceipt(c, nick)
		return
	}
	b, ok := r.buyerOf(nick)
	if !ok {
		r.foreign.Add(1)
		return
	}
	if c.track == nil {
		c.track = make([]window, len(r.buyers))
	}
	seq, skipped := c.track[b.idx].accept(g)
	if skipped > 0 {
		r.skippedSeqs.Add(uint64(skipped))
	}
	at, step, ok := b.ring.lookup(seq)
	if !ok || step >= len(r.steps) {
		r.uncorrelated.Add(1)
		return
	}
	st := r.steps[step]
	st.hist.record(time.Duration(now - at))
	st.received.Add(1)
	c.recv[step].Add(1)
	r.deliveries.Add(1)
}

// watchReceipt counts a receipt in a shard without the buyers: no
// latency, attributed to the step running now.
func (r *runner) watchReceipt(c *client, nick []byte) {
	if !bytes.HasPrefix(nick, r.nickPrefix) {
		r.foreign.Add(1)
		return
	}
	step := int(r.curStep.Load())
	r.steps[step].received.Add(1)
	c.recv[step].Add(1)
	r.deliveries.Add(1)
}

// buyerOf recovers the buyer from a nickname of this run.
func (r *runner) buyerOf(nick []byte) (*buyer, bool) {
	rest, ok := bytes.CutPrefix(nick, r.nickPrefix)
	if !ok || len(rest) == 0 || len(rest) > 6 {
		return nil, false
	}
	i := 0
	for _, ch := range rest {
		if ch < '0' || ch > '9' {
			return nil, false
		}
		i = i*10 + int(ch-'0')
	}
	if i >= len(r.buyers) {
		return nil, false
	}
	return r.buyers[i], true
}

// ack accounts for the acknowledgement of one of c's purchases.
func (r *runner) ack(c *client, p []byte) {
	b := c.buyer
	if b == nil {
		return
	}
	id, args, ok := parseAck(p)
	if !ok {
		return
	}
	_, step, ok := b.ring.lookup(uint32(id))
	b.inflight.Add(-1)
	if !ok || step >= len(r.steps) {
		r.uncorrelated.Add(1)
		return
	}
	if ackRefused(args) {
		r.steps[step].refused.Add(1)
		r.failures.add("BUY refused: " + truncate(args, 120))
		return
	}
	r.steps[step].acked.Add(1)
}

// connected marks c as open.
func (r *runner) connected(c *client) {
	c.connectedAt.Store(r.now())
	c.state.Store(stateConnected)
	r.nConnected.Add(1)
}

// lost marks the end of c's connection: a failure if it never connected, a
// disconnect if it did and the run was not stopping.
func (r *runner) lost(c *client, reason string) {
	switch c.state.Load() {
	case statePending:
		c.state.Store(stateFailed)
		r.nFailed.Add(1)
		r.failures.add(reason)
	case stateConnected:
		c.closedAt.Store(r.now())
		c.state.Store(stateClosed)
		r.nConnected.Add(-1)
		if !r.stopping.Load() {
			r.nDisconnected.Add(1)
			r.failures.add("disconnected: " + reason)
		}
	}
}

// emit sends b's next purchase, tagged with step. It runs on the scheduler
// goroutine only.
func (r *runner) emit(c *client, step int) bool {
	b := c.buyer
	seq := b.seq
	b.buf = appendBuy(b.buf[:0], seq, b.acct.nickname, r.cfg.BuyEvent)
	b.inflight.Add(1)
	b.ring.record(seq, step, r.now())
	var err error
	if fc := c.fc.Load(); fc != nil {
		b.mu.Lock()
		b.frame = appendClientFrame(b.frame[:0], opText, b.buf)
		err = writeFD(fc, b.frame)
		b.mu.Unlock()
	} else if conn := c.ws.Load(); conn != nil {
		b.mu.Lock()
		_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		err = conn.WriteMessage(websocket.TextMessage, b.buf)
		b.mu.Unlock()
	} else if s := c.poll.Load(); s != nil {
		err = s.sendAsync(r, b.buf)
	} else {
		err = errNotOpen
	}
	if err != nil {
		// Nothing was sent: reuse the number so that receivers see no gap.
		b.inflight.Add(-1)
		return false
	}
	b.seq++
	return true
}

var errNotOpen = errors.New("connection not open")

// failureLog keeps the distinct failure reasons with their counts.
type failureLog struct {
	mu sync.Mutex
	m  map[string]int
}

func (f *failureLog) add(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = make(map[string]int)
	}
	if _, ok := f.m[reason]; !ok && len(f.m) >= 50 {
		reason = "other"
	}
	f.m[reason]++
}

func (f *failureLog) snapshot() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.m))
	for k, v := range f.m {
		out[k] = v
	}
	return out
}
