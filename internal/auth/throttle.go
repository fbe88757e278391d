package auth

import (
	"container/list"
	"sync"
	"time"
)

// Defaults of the login throttle.
const (
	DefaultMaxFailures = 5 // per email
	// DefaultMaxAddressFailures is the limit per client address, which
	// many shoppers may share.
	DefaultMaxAddressFailures = 50
	DefaultFailureWindow      = 15 * time.Minute
	DefaultThrottleKeys       = 10000
)

// Throttle limits attempts per key (a client address, an email) to limit
// within a sliding window. It keeps at most maxKeys keys: expired keys are
// dropped as new ones arrive and, when every key is live, the one touched
// least recently is forgotten, so memory stays bounded under a flood of
// distinct keys without a background goroutine. Its methods are safe for
// concurrent use.
type Throttle struct {
	limit   int
	window  time.Duration
	maxKeys int
	now     func() time.Time

	mu   sync.Mutex
	keys map[string]*list.Element // of *throttleEntry; guarded by mu
	lru  *list.List               // most recently touched at the front; guarded by mu
}

type throttleEntry struct {
	key      string
	attempts []time.Time // oldest first, at most limit, all within the window
}

// NewThrottle returns a Throttle allowing limit attempts per key within
// window, remembering at most maxKeys keys. Zero values take the defaults.
func NewThrottle(limit int, window time.Duration, maxKeys int) *Throttle {
	if limit <= 0 {
		limit = DefaultMaxFailures
	}
	if window <= 0 {
		window = DefaultFailureWindow
	}
	if maxKeys <= 0 {
		maxKeys = DefaultThrottleKeys
	}
	return &Throttle{
		limit: limit, window: window, maxKeys: maxKeys, now: time.Now,
		keys: make(map[string]*list.Element), lru: list.New(),
	}
}

// Attempt records an attempt under every key and returns 0, unless one of
// the keys already holds limit attempts within the window: then it records
// nothing and returns how long the caller must wait. Recording before the
// outcome is known keeps concurrent attempts from slipping past the limit.
func (t *Throttle) Attempt(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if wait := t.waitLocked(now, keys); wait > 0 {
		return wait
	}
	t.recordLocked(now, keys)
	return 0
}

// Wait returns how long the caller must wait because one of the keys holds
// limit attempts within the window, or 0; it records nothing. With Record
// after a failure it counts only failures, letting any number of attempts
// run at once.
func (t *Throttle) Wait(keys ...string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.waitLocked(t.now(), keys)
}

// Record records a failed attempt under every key.
func (t *Throttle) Record(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.recordLocked(t.now(), keys)
}

func (t *Throttle) waitLocked(now time.Time, keys []string) time.Duration {
	var wait time.Duration
	for _, k := range keys {
		e := t.entry(k, now, false)
		if e == nil || len(e.attempts) < t.limit {
			continue
		}
		if w := e.attempts[0].Add(t.window).Sub(now); w > wait {
			wait = w
		}
	}
	return wait
}

func (t *Throttle) recordLocked(now time.Time, keys []string) {
	for _, k := range keys {
		e := t.entry(k, now, true)
		e.attempts = append(e.attempts, now)
		if len(e.attempts) > t.limit {
			e.attempts = e.attempts[len(e.attempts)-t.limit:]
		}
	}
}

// Forgive takes back the latest attempt recorded under each key, for an
// attempt that succeeded.
func (t *Throttle) Forgive(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		el, ok := t.keys[k]
		if !ok {
			continue
		}
		e := el.Value.(*throttleEntry)
		if n := len(e.attempts); n > 0 {
			e.attempts = e.attempts[:n-1]
		}
		if len(e.attempts) == 0 {
			t.remove(el)
		}
	}
}

// Reset forgets every attempt recorded under the keys.
func (t *Throttle) Reset(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, k := range keys {
		if el, ok := t.keys[k]; ok {
			t.remove(el)
		}
	}
}

// Len reports how many keys the Throttle remembers.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.keys)
}

// entry returns key's entry with expired attempts dropped, creating it when
// create is set (nil otherwise). t.mu must be held.
func (t *Throttle) entry(key string, now time.Time, create bool) *throttleEntry {
	t.sweep(now)
	if el, ok := t.keys[key]; ok {
		e := el.Value.(*throttleEntry)
		e.prune(now, t.window)
		if len(e.attempts) == 0 && !create {
			t.remove(el)
			return nil
		}
		if create {
			t.lru.MoveToFront(el)
		}
		return e
	}
	if !create {
		return nil
	}
	for len(t.keys) >= t.maxKeys {
		t.remove(t.lru.Back())
	}
	e := &throttleEntry{key: key, attempts: make([]time.Time, 0, 1)}
	t.keys[key] = t.lru.PushFront(e)
	return e
}

// sweep drops entries whose attempts have all expired. Entries are touched
// only when an attempt is recorded, so the list is ordered by latest attempt
// and the expired ones sit at the back. t.mu must be held.
func (t *Throttle) sweep(now time.Time) {
	for el := t.lru.Back(); el != nil; el = t.lru.Back() {
		e := el.Value.(*throttleEntry)
		if n := len(e.attempts); n > 0 && now.Sub(e.attempts[n-1]) < t.window {
			return
		}
		t.remove(el)
	}
}

func (t *Throttle) remove(el *list.Element) {
	delete(t.keys, el.Value.(*throttleEntry).key)
	t.lru.Remove(el)
}

func (e *throttleEntry) prune(now time.Time, window time.Duration) {
	i := 0
	for i < len(e.attempts) && now.Sub(e.attempts[i]) >= window {
		i++
	}
	if i > 0 {
		e.attempts = append(e.attempts[:0], e.attempts[i:]...)
	}
}
