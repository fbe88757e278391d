package realtime

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/livebuy/shop/internal/realtime/parser"
)

// The connection state recovery part of MemoryAdapter: the packets
// broadcast within the recovery window and the sessions of disconnected
// sockets.

// encodeAndStore gives p an offset, encodes it and keeps it for recovery.
// The three happen under one lock so that stored packets are in offset
// order.
func (a *MemoryAdapter) encodeAndStore(p *Packet, opts *BroadcastOptions) ([]byte, [][]byte, error) {
	a.pmu.Lock()
	defer a.pmu.Unlock()
	a.seq++
	offset := a.prefix + strconv.FormatUint(a.seq, 36)
	p.Data = append(p.Data, offset)
	text, atts, err := parser.Encode(&parser.Packet{Type: p.Type, Namespace: a.nsp.name}, p.Data)
	if err != nil || a.closed {
		return text, atts, err
	}
	now := time.Now()
	a.expirePackets(now)
	a.packets = append(a.packets, storedPacket{
		offset: offset,
		at:     now,
		rooms:  slices.Clone(opts.Rooms),
		except: slices.Clone(opts.Except),
		text:   text,
		atts:   atts,
	})
	return text, atts, nil
}

// expirePackets forgets the packets older than the recovery window.
func (a *MemoryAdapter) expirePackets(now time.Time) {
	limit := now.Add(-a.rec.MaxDisconnectionDuration)
	for a.head < len(a.packets) && a.packets[a.head].at.Before(limit) {
		a.packets[a.head] = storedPacket{}
		a.head++
	}
	if a.head > 0 && a.head >= len(a.packets)/2 {
		n := copy(a.packets, a.packets[a.head:])
		clear(a.packets[n:])
		a.packets = a.packets[:n]
		a.head = 0
	}
}

// PersistSession keeps s for the recovery window.
func (a *MemoryAdapter) PersistSession(s *Session) {
	if a.rec == nil {
		return
	}
	a.pmu.Lock()
	defer a.pmu.Unlock()
	if a.closed {
		return
	}
	if old := a.sessions[s.PID]; old != nil {
		old.timer.Stop()
	}
	e := &storedSession{sess: s, at: time.Now()}
	e.timer = time.AfterFunc(a.rec.MaxDisconnectionDuration, func() {
		a.pmu.Lock()
		defer a.pmu.Unlock()
		if a.sessions[s.PID] == e {
			delete(a.sessions, s.PID)
		}
	})
	a.sessions[s.PID] = e
}

// RestoreSession returns session pid with the packets broadcast to it after
// offset, and forgets it; nil when unknown, expired, or when offset is no
// longer held.
func (a *MemoryAdapter) RestoreSession(_ context.Context, pid, offset string) (*Session, error) {
	if a.rec == nil {
		return nil, nil
	}
	a.pmu.Lock()
	defer a.pmu.Unlock()
	e := a.sessions[pid]
	if e == nil {
		return nil, nil
	}
	delete(a.sessions, pid)
	e.timer.Stop()
	now := time.Now()
	if now.Sub(e.at) > a.rec.MaxDisconnectionDuration {
		return nil, nil
	}
	a.expirePackets(now)
	pkts := a.packets[a.head:]
	i := len(pkts) - 1
	for i >= 0 && pkts[i].offset != offset {
		i--
	}
	if i < 0 {
		return nil, nil
	}
	sess := *e.sess
	sess.MissedPackets = nil
	for _, p := range pkts[i+1:] {
		if !p.reaches(sess.Rooms) {
			continue
		}
		data, err := parser.Args(eventPayload(p.text, a.nsp.name), p.atts)
		if err != nil {
			return nil, errorf("restore session: stored packet %s: %w", p.offset, err)
		}
		sess.MissedPackets = append(sess.MissedPackets, data)
	}
	return &sess, nil
}

// reaches reports whether a socket in rooms was a target of p.
func (p *storedPacket) reaches(rooms []Room) bool {
	for _, r := range rooms {
		if slices.Contains(p.except, r) {
			return false
		}
	}
	if len(p.rooms) == 0 {
		return true
	}
	for _, r := range rooms {
		if slices.Contains(p.rooms, r) {
			return true
		}
	}
	return false
}

// eventPayload returns the JSON array of an encoded EVENT or BINARY_EVENT
// packet without an ack id: what follows the type, the attachment count
// and the namespace.
func eventPayload(text []byte, nsp string) []byte {
	i := 1
	if text[0] == '0'+byte(parser.BinaryEvent) {
		for text[i] != '-' {
			i++
		}
		i++
	}
	if nsp != "/" {
		i += len(nsp) + 1
	}
	return text[i:]
}
