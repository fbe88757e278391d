package main

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// histogram counts latencies in microseconds in log-linear buckets: exact
// below 128 µs, then 64 buckets per power of two (under 1.6% error). Record
// is lock-free so every reader goroutine can add to one histogram; two
// histograms merge by adding buckets, which is how shards combine.
type histogram struct {
	buckets [histBuckets]atomic.Uint64
	count   atomic.Uint64
	sum     atomic.Uint64 // µs
	max     atomic.Uint64 // µs
}

const (
	histLinear  = 128 // values below are their own bucket
	histSub     = 64  // buckets per power of two above
	histMaxExp  = 40  // 2^46 µs is beyond any run
	histBuckets = histLinear + histMaxExp*histSub
)

func bucketOf(us uint64) int {
	if us < histLinear {
		return int(us)
	}
	e := bits.Len64(us) - 7 // us>>e is in [64, 128)
	if e > histMaxExp {
		return histBuckets - 1
	}
	return histLinear + (e-1)*histSub + int(us>>e) - histSub
}

// bucketValue is the middle of bucket i, in microseconds.
func bucketValue(i int) float64 {
	if i < histLinear {
		return float64(i)
	}
	e := (i-histLinear)/histSub + 1
	lo := uint64((i-histLinear)%histSub+histSub) << e
	return float64(lo) + float64(uint64(1)<<e)/2
}

func (h *histogram) record(d time.Duration) {
	us := uint64(0)
	if d > 0 {
		us = uint64(d / time.Microsecond)
	}
	h.buckets[bucketOf(us)].Add(1)
	h.count.Add(1)
	h.sum.Add(us)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			break
		}
	}
}

// merge adds o's counts to h.
func (h *histogram) merge(o *histogram) {
	for i := range o.buckets {
		if n := o.buckets[i].Load(); n != 0 {
			h.buckets[i].Add(n)
		}
	}
	h.count.Add(o.count.Load())
	h.sum.Add(o.sum.Load())
	for {
		m, om := h.max.Load(), o.max.Load()
		if om <= m || h.max.CompareAndSwap(m, om) {
			break
		}
	}
}

// quantile returns the q-quantile (0 < q ≤ 1) in microseconds: the value
// of the bucket holding the ceil(q·count)-th smallest sample, capped at the
// exact maximum. It is NaN for an empty histogram.
func (h *histogram) quantile(q float64) float64 {
	n := h.count.Load()
	if n == 0 {
		return math.NaN()
	}
	rank := uint64(math.Ceil(q * float64(n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i := range h.buckets {
		seen += h.buckets[i].Load()
		if seen >= rank {
			return math.Min(bucketValue(i), float64(h.max.Load()))
		}
	}
	return float64(h.max.Load())
}

// latencySummary is what the report shows of a histogram, in milliseconds.
type latencySummary struct {
	Count uint64  `json:"count"`
	Mean  float64 `json:"meanMs"`
	P50   float64 `json:"p50Ms"`
	P90   float64 `json:"p90Ms"`
	P99   float64 `json:"p99Ms"`
	Max   float64 `json:"maxMs"`
}

func (h *histogram) summary() latencySummary {
	n := h.count.Load()
	if n == 0 {
		return latencySummary{}
	}
	return latencySummary{
		Count: n,
		Mean:  float64(h.sum.Load()) / float64(n) / 1000,
		P50:   h.quantile(0.50) / 1000,
		P90:   h.quantile(0.90) / 1000,
		P99:   h.quantile(0.99) / 1000,
		Max:   float64(h.max.Load()) / 1000,
	}
}
