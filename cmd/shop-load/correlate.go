package main

import "sync/atomic"

// How a receipt of BUY_GOODS is matched to the emit that caused it.
//
// BUY_GOODS carries no field the client chooses except goodsId (the shop
// takes the nickname from the signed-in user and the goods name from its
// catalogue), so each buyer numbers its purchases 0, 1, 2, … and buys goods
// seq%8+1. A receiver keeps, per buyer, the lowest sequence number it has
// not received yet (base) and which of the seven after it it has; goodsId
// then names exactly one candidate among base..base+7.
//
// That is exact as long as, on one connection, no purchase of a buyer
// arrives eight or more places after a later one of the same buyer. The
// buyer guarantees it: it has at most maxInFlight (< 8) purchases without an
// acknowledgement, and both servers broadcast a purchase before they
// acknowledge it, so purchase s is queued to everyone before s+maxInFlight
// is even sent. Per-connection queues are FIFO, hence the reorder distance
// stays below maxInFlight.

// maxInFlight bounds a buyer's unacknowledged purchases; see above for why
// it must stay below goodsCycle.
const maxInFlight = 4

// window is a receiver's state for one buyer: base in the low 32 bits and
// the received-mask of base..base+7 in the next 8.
type window uint64

// accept records the receipt of a purchase of goods g (1..8) and returns its
// sequence number. skipped counts earlier purchases given up as lost: those
// that a purchase maxInFlight or more places later has overtaken, which
// the ordering argument above rules out for anything delivered. It is zero
// unless something was lost.
func (w *window) accept(g int) (seq uint32, skipped int) {
	base := uint32(*w)
	mask := uint8(*w >> 32)
	off := (uint32(g-1) - base%goodsCycle) % goodsCycle
	if mask&(1<<off) != 0 {
		// base+off arrived already, so this is base+off+8: everything
		// unreceived up to base+off is lost. Slide the window past it.
		for i := uint32(0); i <= off; i++ {
			if mask&(1<<i) == 0 {
				skipped++
			}
		}
		mask >>= off + 1
		base += off + 1
		off = goodsCycle - 1
	}
	seq = base + off
	mask |= 1 << off
	// Purchase seq was sent only after seq-maxInFlight was acknowledged,
	// hence broadcast: whatever is still missing up to there is lost.
	for off >= maxInFlight {
		if mask&1 == 0 {
			skipped++
		}
		mask >>= 1
		base++
		off--
	}
	for mask&1 != 0 {
		mask >>= 1
		base++
	}
	*w = window(uint64(base) | uint64(mask)<<32)
	return seq, skipped
}

// emitRing remembers when each recent purchase of one buyer was emitted and
// in which step. The buyer writes, every receiver reads; a slot is reused
// after emitRingSize purchases of that buyer, long after any receipt.
const emitRingSize = 1024

type emitSlot struct {
	at  atomic.Int64  // nanoseconds since the run's start
	tag atomic.Uint64 // seq<<16 | slotValid | step, written after at
}

// slotValid marks a written slot, so that an empty one never matches seq 0.
const slotValid = 1 << 15

type emitRing [emitRingSize]emitSlot

func (r *emitRing) record(seq uint32, step int, at int64) {
	s := &r[seq%emitRingSize]
	s.at.Store(at)
	s.tag.Store(uint64(seq)<<16 | slotValid | uint64(step))
}

// lookup returns the emit time and step of purchase seq; ok is false when
// the slot holds another purchase (never emitted, or long overwritten).
func (r *emitRing) lookup(seq uint32) (at int64, step int, ok bool) {
	s := &r[seq%emitRingSize]
	tag := s.tag.Load()
	if tag&slotValid == 0 || uint32(tag>>16) != seq {
		return 0, 0, false
	}
	return s.at.Load(), int(tag & (slotValid - 1)), true
}
