package auth_test

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/auth"
)

// fakeClock is a settable clock for the throttle's window.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newThrottle(limit int, window time.Duration, maxKeys int) (*auth.Throttle, *fakeClock) {
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	th := auth.NewThrottle(limit, window, maxKeys)
	auth.SetThrottleClock(th, clk.Now)
	return th, clk
}

func TestThrottle(t *testing.T) {
	type step struct {
		op       string // attempt, forgive, reset, advance
		keys     []string
		d        time.Duration
		wantWait time.Duration
	}
	a, b := []string{"a"}, []string{"b"}
	ab := []string{"a", "b"}
	tests := []struct {
		name  string
		steps []step
	}{
		{"limit then wait", []step{
			{op: "attempt", keys: a}, {op: "attempt", keys: a}, {op: "attempt", keys: a},
			{op: "attempt", keys: a, wantWait: 15 * time.Minute},
			{op: "attempt", keys: b},
		}},
		{"sliding window", []step{
			{op: "attempt", keys: a}, {op: "advance", d: 5 * time.Minute},
			{op: "attempt", keys: a}, {op: "attempt", keys: a},
			{op: "advance", d: 5 * time.Minute},
			{op: "attempt", keys: a, wantWait: 5 * time.Minute},
			{op: "advance", d: 5 * time.Minute},
			{op: "attempt", keys: a},
			{op: "attempt", keys: a, wantWait: 5 * time.Minute},
		}},
		{"any blocked key refuses and records nothing", []step{
			{op: "attempt", keys: a}, {op: "attempt", keys: a}, {op: "attempt", keys: a},
			{op: "attempt", keys: ab, wantWait: 15 * time.Minute},
			{op: "attempt", keys: b}, {op: "attempt", keys: b}, {op: "attempt", keys: b},
			{op: "attempt", keys: b, wantWait: 15 * time.Minute},
		}},
		{"forgive takes back one", []step{
			{op: "attempt", keys: a}, {op: "attempt", keys: a}, {op: "attempt", keys: a},
			{op: "forgive", keys: a},
			{op: "attempt", keys: a},
			{op: "attempt", keys: a, wantWait: 15 * time.Minute},
		}},
		{"reset forgets all", []step{
			{op: "attempt", keys: a}, {op: "attempt", keys: a}, {op: "attempt", keys: a},
			{op: "reset", keys: a},
			{op: "attempt", keys: a}, {op: "attempt", keys: a}, {op: "attempt", keys: a},
			{op: "attempt", keys: a, wantWait: 15 * time.Minute},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th, clk := newThrottle(3, 15*time.Minute, 100)
			for i, s := range tt.steps {
				switch s.op {
				case "attempt":
					if got := th.Attempt(s.keys...); got != s.wantWait {
						t.Fatalf("step %d: Attempt(%v): got wait %v, want %v", i, s.keys, got, s.wantWait)
					}
				case "forgive":
					th.Forgive(s.keys...)
				case "reset":
					th.Reset(s.keys...)
				case "advance":
					clk.Advance(s.d)
				}
			}
		})
	}
}

func TestThrottleMemoryBound(t *testing.T) {
	th, clk := newThrottle(2, time.Minute, 50)
	for i := range 1000 {
		th.Attempt("k" + strconv.Itoa(i))
		if n := th.Len(); n > 50 {
			t.Fatalf("after %d keys: got %d keys remembered, want at most 50", i+1, n)
		}
	}
	// The most recent keys survive the eviction of the oldest.
	th.Attempt("k999")
	if got := th.Attempt("k999"); got == 0 {
		t.Errorf("got k999 allowed a third attempt, want it throttled")
	}
	clk.Advance(time.Minute)
	th.Attempt("fresh")
	if n := th.Len(); n != 1 {
		t.Errorf("after the window: got %d keys, want 1 (expired keys dropped)", n)
	}
}

func TestThrottleConcurrent(t *testing.T) {
	th, _ := newThrottle(5, time.Minute, 100)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	for range 50 {
		wg.Go(func() {
			if th.Attempt("ip", "email") == 0 {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if allowed != 5 {
		t.Fatalf("got %d concurrent attempts allowed, want 5", allowed)
	}
}
