package live

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/realtime"
	"github.com/livebuy/shop/internal/realtime/engineio"
)

// TestViewerCountsAcrossInstances runs several instances whose server-side
// events reach each other as through Redis, and shows that a viewer sees
// how many view its page on all of them: as viewers come and go on either,
// when an instance starts after others have viewers, and when one stops.
// The sync interval is too long to matter here: every count comes from the
// events of each change, and of each start and stop.
func TestViewerCountsAcrossInstances(t *testing.T) {
	h := &hub{}
	a, b := h.instance(t, "A", time.Hour), h.instance(t, "B", time.Hour)
	const page, other = "/detail.html?goodsId=1", "/detail.html?goodsId=2"

	a1 := a.dial(t)
	a1.view(t, page)
	a1.waitCount(t, 1)
	b1 := b.dial(t)
	b1.view(t, page)
	b1.waitCount(t, 2)
	a1.waitCount(t, 2)

	// A viewer of another page changes nothing here.
	b2 := b.dial(t)
	b2.view(t, other)
	b2.waitCount(t, 1)
	a2 := a.dial(t)
	a2.view(t, page)
	for _, c := range []*viewer{a1, a2, b1} {
		c.waitCount(t, 3)
	}

	// A viewer that moves on, and one that leaves.
	b1.view(t, other)
	b2.waitCount(t, 2)
	a1.waitCount(t, 2)
	a2.conn.conn.Close()
	a1.waitCount(t, 1)

	// An instance that starts later learns the counts of the others.
	c := h.instance(t, "C", time.Hour)
	c1 := c.dial(t)
	c1.view(t, page)
	c1.waitCount(t, 2)
	a1.waitCount(t, 2)

	// An instance that stops says so: its viewers no longer count.
	c.stop()
	a1.waitCount(t, 1)
}

// TestViewerCountsForgetSilentInstance shows that the counts of an
// instance that falls silent without a word, as one that died, stop
// counting after a few sync intervals, and that the periodic state keeps a
// live one counted meanwhile.
func TestViewerCountsForgetSilentInstance(t *testing.T) {
	h := &hub{}
	const sync = 100 * time.Millisecond
	a, b := h.instance(t, "A", sync), h.instance(t, "B", sync)
	const page = "/goods.html"
	a1, b1 := a.dial(t), b.dial(t)
	a1.view(t, page)
	b1.view(t, page)
	a1.waitCount(t, 2)
	// Well past the time an instance may stay silent, B still counts.
	time.Sleep(4 * expireAfter * sync)
	a2 := a.dial(t)
	a2.view(t, page)
	a2.waitCount(t, 3)

	b.cut.Store(true)
	a1.waitCount(t, 2) // after a2's arrival, a1 saw 3
	a2.waitCount(t, 2)
}

// hub links the namespaces of in-process instances as a cluster adapter
// does: each instance's server-side events reach every other, in the order
// they were sent, as JSON arguments, through one delivery goroutine per
// instance.
type hub struct {
	mu      sync.Mutex
	members []*member
}

// member is one instance of the hub.
type member struct {
	name  string
	url   string
	stop  func()                 // ends the instance's viewer sharing
	inbox chan []json.RawMessage // closed, with closed set, when the test ends
	// closed is guarded by hub.mu.
	closed bool
	cut    atomic.Bool // sends and receives nothing, as if its Redis link failed
}

// hubAdapter is the in-memory adapter, with server-side events carried by
// the hub.
type hubAdapter struct {
	*realtime.MemoryAdapter
	hub  *hub
	self *member
}

func (a *hubAdapter) ServerSideEmit(data []any) error {
	if a.self.cut.Load() {
		return nil
	}
	msg := make([]json.RawMessage, len(data))
	for i, v := range data {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		msg[i] = b
	}
	a.hub.mu.Lock()
	defer a.hub.mu.Unlock()
	for _, m := range a.hub.members {
		if m != a.self && !m.closed && !m.cut.Load() {
			m.inbox <- msg
		}
	}
	return nil
}

// instance starts an instance of the shop's real-time endpoint on the hub,
// stopped when the test ends.
func (h *hub) instance(t *testing.T, name string, sync time.Duration) *member {
	t.Helper()
	m := &member{name: name, inbox: make(chan []json.RawMessage, 1024)}
	sio := realtime.NewServer(realtime.Options{
		// No heartbeat: a client the test does not read must stay
		// connected, and its count with it.
		Engine: engineio.Options{PingInterval: time.Hour, PingTimeout: time.Hour},
		Adapter: func(nsp *realtime.Namespace) realtime.Adapter {
			return &hubAdapter{MemoryAdapter: realtime.NewMemoryAdapter(nsp), hub: h, self: m}
		},
	})
	root := sio.Of("/")
	delivered := make(chan struct{})
	go func() { // exits when the inbox is closed, at the end of the test
		defer close(delivered)
		for msg := range m.inbox {
			var event string
			if err := json.Unmarshal(msg[0], &event); err != nil {
				t.Errorf("%s: event name %s: %v", name, msg[0], err)
				continue
			}
			if m.cut.Load() {
				continue
			}
			args := make(realtime.Args, len(msg)-1)
			for i, a := range msg[1:] {
				args[i] = a
			}
			root.ReceiveServerSideEmit(event, args)
		}
	}()
	h.mu.Lock()
	h.members = append(h.members, m)
	h.mu.Unlock()

	m.stop = Attach(root, Config{Auth: tokenTable{}, ViewerSync: sync})
	srv := httptest.NewServer(sio)
	m.url = srv.URL
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		m.stop()
		if err := sio.Shutdown(ctx); err != nil {
			t.Errorf("%s: shutdown: %v", name, err)
		}
		srv.Close()
		h.mu.Lock()
		m.closed = true
		close(m.inbox)
		h.mu.Unlock()
		<-delivered
	})
	return m
}

// viewer is a client of one instance that views pages.
type viewer struct {
	conn *sioClient
	last int // the last count received
}

func (m *member) dial(t *testing.T) *viewer {
	t.Helper()
	return &viewer{conn: (&liveShop{url: m.url}).dial(t, nil, "")}
}

func (v *viewer) view(t *testing.T, page string) {
	t.Helper()
	b, err := json.Marshal([]string{EventChangedPage, page})
	if err != nil {
		t.Fatal(err)
	}
	v.conn.write(t, "42"+string(b))
}

// waitCount reads the viewer counts the client receives until one is want.
// The counts of a page converge: a count on the way may be followed by a
// newer one, but the last word is the total over the instances.
func (v *viewer) waitCount(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for v.last != want {
		if time.Now().After(deadline) {
			t.Fatalf("got viewer count %d, want %d", v.last, want)
		}
		raw := v.conn.nextEvent(t, EventSameViewCount)
		n, err := strconv.Atoi(string(raw))
		if err != nil {
			t.Fatalf("got viewer count %s, want a number", raw)
		}
		v.last = n
	}
}
