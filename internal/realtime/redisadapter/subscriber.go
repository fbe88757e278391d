package redisadapter

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livebuy/shop/internal/realtime"
	"github.com/livebuy/shop/internal/realtime/parser"
)

const (
	// healthInterval is how long a silent subscription waits before it is
	// pinged; a ping unanswered for as long again means a dead connection.
	healthInterval = 15 * time.Second
	minBackoff     = 100 * time.Millisecond
	maxBackoff     = 5 * time.Second
)

// subscribe is the subscriber goroutine: it subscribes to the namespace's
// channels and handles their messages in order, reconnecting after a
// failure (go-redis subscribes again on the new connection). It exits when
// ctx ends; Close also closes the pub/sub connection to end a wait.
func (a *Adapter) subscribe(ctx context.Context) {
	defer a.wg.Done()
	a.mu.Lock()
	ps := a.pubsub
	a.mu.Unlock()
	a.listen(ctx, ps)
	var (
		down    bool
		pinged  bool
		backoff = minBackoff
	)
	for {
		msg, err := ps.ReceiveTimeout(ctx, healthInterval)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			var nerr net.Error
			if errors.As(err, &nerr) && nerr.Timeout() {
				if !pinged {
					pinged = true
					_ = ps.Ping(ctx) // a failure reconnects on the next receive
					continue
				}
				pinged = false
				a.log.Warn("redisadapter: no answer from Redis; reconnecting")
				if ps = a.replacePubSub(ctx); ps == nil {
					return
				}
				continue
			}
			if !down {
				down = true
				a.log.Warn("redisadapter: subscription lost; broadcasts from the other servers are missed until Redis is back",
					"err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if down {
				down, backoff = false, minBackoff
				a.log.Info("redisadapter: subscribed again")
			}
		case *redis.Message:
			a.dispatch(ctx, m)
		}
	}
}

// listen subscribes ps to the namespace's channels. go-redis records them
// even when Redis cannot be reached, and subscribes again on every new
// connection.
func (a *Adapter) listen(ctx context.Context, ps *redis.PubSub) {
	if err := ps.PSubscribe(ctx, a.channel+"*"); err != nil {
		a.log.Debug("redisadapter: psubscribe", "err", err)
	}
	if err := ps.Subscribe(ctx, a.requestChannel, a.responseChannel, a.ownResponses); err != nil {
		a.log.Debug("redisadapter: subscribe", "err", err)
	}
}

// replacePubSub swaps the pub/sub connection for a new one; nil when the
// adapter is closed.
func (a *Adapter) replacePubSub(ctx context.Context) *redis.PubSub {
	ps := a.client.Subscribe(ctx)
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		_ = ps.Close()
		return nil
	}
	old := a.pubsub
	a.pubsub = ps
	a.mu.Unlock()
	_ = old.Close()
	a.listen(ctx, ps)
	return ps
}

func (a *Adapter) dispatch(ctx context.Context, m *redis.Message) {
	switch {
	case m.Pattern != "":
		a.onBroadcast(m.Channel, []byte(m.Payload))
	case m.Channel == a.requestChannel:
		a.onRequest(ctx, []byte(m.Payload))
	case m.Channel == a.responseChannel || m.Channel == a.ownResponses:
		a.onResponse([]byte(m.Payload))
	}
}

// onBroadcast delivers a broadcast of another server to the local sockets
// it selects: decoded once, encoded once by the local adapter, the same
// bytes queued to every target. A broadcast on the channel of a room
// without local members is skipped undecoded.
func (a *Adapter) onBroadcast(channel string, payload []byte) {
	rest, ok := strings.CutPrefix(channel, a.channel)
	if !ok {
		return
	}
	if rest != "" {
		room := realtime.Room(strings.TrimSuffix(rest, "#"))
		if a.local.RoomSize(room) == 0 {
			return
		}
	}
	p, opts, own, err := decodeBroadcast(payload, a.uid)
	if own {
		return
	}
	if err != nil {
		a.log.Debug("redisadapter: ignoring a malformed broadcast", "channel", channel, "err", err)
		return
	}
	if p.NSP != a.nsp.Name() {
		return
	}
	err = a.local.Broadcast(&realtime.Packet{Type: parser.Event, Namespace: a.nsp.Name(), Data: p.Data}, opts.options())
	if err != nil {
		a.log.Warn("redisadapter: deliver a broadcast", "event", p.Data[0], "err", err)
	}
}
