package realtime

import (
	"context"
	"time"

	"github.com/livebuy/shop/internal/realtime/parser"
)

// Emitter sends events to one socket with flags; see Socket.Volatile and
// Socket.Timeout. The zero value is not usable.
type Emitter struct {
	s        *Socket
	volatile bool
	timeout  time.Duration
}

// Volatile returns a copy of e whose packets are dropped when the client
// cannot take them at once.
func (e Emitter) Volatile() Emitter { e.volatile = true; return e }

// Timeout returns a copy of e whose EmitWithAck fails with ErrAckTimeout
// after d.
func (e Emitter) Timeout(d time.Duration) Emitter { e.timeout = d; return e }

// Emit sends an event to the client; see Socket.Emit.
func (e Emitter) Emit(event string, args ...any) error {
	if isReserved(event) {
		return ErrReservedEvent
	}
	s := e.s
	if s.state.Load() == stateClosed {
		return ErrDisconnected
	}
	data := eventData(event, args)
	if s.nsp.srv.recovery != nil && s.state.Load() == stateConnected {
		// Through the adapter, so the packet gets an offset and is kept for
		// the client's recovery, as in the Node server.
		err := s.nsp.adapter.Broadcast(
			&Packet{Type: parser.Event, Namespace: s.nsp.name, Data: data},
			&BroadcastOptions{Rooms: []Room{Room(s.id)}, Flags: BroadcastFlags{Volatile: e.volatile}},
		)
		if err != nil {
			return errorf("emit %q: %w", event, err)
		}
		return nil
	}
	text, atts, err := encode(&parser.Packet{Type: parser.Event, Namespace: s.nsp.name}, data)
	if err != nil {
		return errorf("emit %q: %w", event, err)
	}
	return s.deliver(encodeMessages(text, atts), e.volatile)
}

// EmitWithAck sends an event and waits for its acknowledgement; see
// Socket.EmitWithAck.
func (e Emitter) EmitWithAck(ctx context.Context, event string, args ...any) (Args, error) {
	if isReserved(event) {
		return nil, ErrReservedEvent
	}
	s := e.s
	type result struct {
		args Args
		err  error
	}
	done := make(chan result, 1)
	id := s.nsp.ackIDs.Add(1) - 1
	if !s.addAck(id, func(args Args, err error) { done <- result{args, err} }) {
		return nil, ErrDisconnected
	}
	text, atts, err := encode(&parser.Packet{Type: parser.Event, Namespace: s.nsp.name, ID: id, HasID: true}, eventData(event, args))
	if err == nil {
		err = s.deliver(encodeMessages(text, atts), e.volatile)
	}
	if err != nil {
		s.dropAck(id)
		return nil, errorf("emit %q: %w", event, err)
	}
	var timeout <-chan time.Time
	if e.timeout > 0 {
		t := time.NewTimer(e.timeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case r := <-done:
		return r.args, r.err
	case <-ctx.Done():
		s.dropAck(id)
		return nil, ctx.Err()
	case <-timeout:
		s.dropAck(id)
		return nil, ErrAckTimeout
	}
}

// eventData returns the payload of an EVENT packet: the name, then the
// arguments, with room for the offset recovery may append.
func eventData(event string, args []any) []any {
	data := make([]any, 1, len(args)+2)
	data[0] = event
	return append(data, args...)
}
