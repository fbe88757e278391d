package live

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/livebuy/shop/internal/realtime"
)

// maxPageLen bounds the page a client may claim to view.
const maxPageLen = 512

// pageKey is the socket data key holding the page the socket views.
const pageKey = "page"

// Server-side events through which the instances sharing the adapter tell
// each other their viewer counts.
const (
	// eventViewers (instance, page, n): the instance's count of page is now n.
	eventViewers = "shop:viewers"
	// eventViewerState (instance, {page: n}): every count of the instance,
	// sent every sync interval, when it starts and when it stops (empty).
	eventViewerState = "shop:viewer-state"
	// eventViewerHello (instance): a starting instance asks the others for
	// their state.
	eventViewerHello = "shop:viewer-hello"
)

// pages tracks which page each socket views, as a room per page, and tells
// the viewers of a page how many they are whenever that changes.
//
// With several instances sharing broadcasts (the Redis adapter), each
// instance counts the viewers connected to it and tells the others every
// change of its counts through server-side events; the count a viewer sees
// is the sum over the instances. An instance's events reach each of the
// others in the order it sent them, so every instance ends with the latest
// count of every other. The full state, sent every sync interval, mends
// what a Redis outage lost, and the counts of an instance not heard from
// for expireAfter intervals (one that died) are dropped.
type pages struct {
	nsp *realtime.Namespace
	id  string // this instance, in the events it sends
	// sync is the interval of the full state; 0 when the instance runs
	// alone and sends nothing.
	sync time.Duration

	// mu serialises a change of page with the counts it announces, so that
	// two sockets moving at once cannot leave a stale count as the last
	// word; it guards the fields below.
	mu     sync.Mutex
	local  map[string]int       // this instance's pages with viewers, and their counts
	others map[string]*instance // by instance id
}

// instance is what this instance knows of another.
type instance struct {
	counts map[string]int
	seen   time.Time
}

// expireAfter is how many sync intervals an instance may stay silent
// before its counts are dropped.
const expireAfter = 3

func newPages(nsp *realtime.Namespace, sync time.Duration) *pages {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // never fails
	return &pages{
		nsp:    nsp,
		id:     hex.EncodeToString(b),
		sync:   sync,
		local:  make(map[string]int),
		others: make(map[string]*instance),
	}
}

func pageRoom(page string) realtime.Room { return realtime.Room("page:" + page) }

func (h *handler) changedPage(s *realtime.Socket, args realtime.Args) {
	var page string
	if len(args) == 0 || args.Decode(0, &page) != nil {
		return
	}
	page = strings.TrimSpace(page)
	if page == "" || len(page) > maxPageLen || page[0] != '/' {
		return
	}
	h.pages.view(s, page)
}

// view moves s to page and announces the new counts of the page it left and
// the page it joined.
func (p *pages) view(s *realtime.Socket, page string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old, _ := s.Data().Get(pageKey)
	oldPage, _ := old.(string)
	if oldPage != "" && oldPage != page {
		s.Leave(pageRoom(oldPage))
		p.changedLocked(oldPage)
	}
	s.Data().Set(pageKey, page)
	s.Join(pageRoom(page))
	p.changedLocked(page)
}

// leave announces the count of the page a disconnected socket was viewing;
// the socket has already left its rooms.
func (p *pages) leave(s *realtime.Socket) {
	v, _ := s.Data().Get(pageKey)
	page, _ := v.(string)
	if page == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s.Leave(pageRoom(page))
	p.changedLocked(page)
}

// changedLocked records this instance's count of page, tells the other
// instances and announces the total to the page's viewers here.
func (p *pages) changedLocked(page string) {
	n := p.nsp.RoomSize(pageRoom(page))
	if n > 0 {
		p.local[page] = n
	} else {
		delete(p.local, page)
	}
	if p.sync > 0 {
		p.emit(eventViewers, p.id, page, n)
	}
	p.announceLocked(page)
}

// announceLocked tells this instance's viewers of page how many view it on
// every instance.
func (p *pages) announceLocked(page string) {
	room := pageRoom(page)
	n := p.nsp.RoomSize(room)
	if n == 0 {
		return
	}
	for _, o := range p.others {
		n += o.counts[page]
	}
	_ = p.nsp.Local().To(room).Emit(EventSameViewCount, n) // fails only for reserved names
}

// emit sends a server-side event to the other instances. It fails only for
// arguments that do not encode, which these never are.
func (p *pages) emit(event string, args ...any) {
	_ = p.nsp.ServerSideEmit(event, args...)
}

// share registers the handlers of the other instances' events and asks
// them for their state; then, until done is closed, it sends this
// instance's state every sync interval and drops the instances that fell
// silent. Last, it tells the others that this instance has no viewers left.
func (p *pages) share(done <-chan struct{}) {
	p.nsp.OnServerSideEmit(eventViewers, p.onViewers)
	p.nsp.OnServerSideEmit(eventViewerState, p.onState)
	p.nsp.OnServerSideEmit(eventViewerHello, func(realtime.Args) { p.sendState() })
	p.emit(eventViewerHello, p.id)
	p.sendState()

	tick := time.NewTicker(p.sync)
	defer tick.Stop()
	for {
		select {
		case <-done:
			p.emit(eventViewerState, p.id, map[string]int{})
			return
		case now := <-tick.C:
			p.sendState()
			p.expire(now.Add(-expireAfter * p.sync))
		}
	}
}

func (p *pages) sendState() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.emit(eventViewerState, p.id, p.local)
}

// onViewers records another instance's new count of a page.
func (p *pages) onViewers(args realtime.Args) {
	var (
		id, page string
		n        int
	)
	if len(args) != 3 || args.Decode(0, &id) != nil || args.Decode(1, &page) != nil || args.Decode(2, &n) != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.instanceLocked(id)
	if o.counts[page] == n {
		return
	}
	if n > 0 {
		o.counts[page] = n
	} else {
		delete(o.counts, page)
	}
	p.announceLocked(page)
}

// onState replaces what this instance knows of another's counts.
func (p *pages) onState(args realtime.Args) {
	var (
		id     string
		counts map[string]int
	)
	if len(args) != 2 || args.Decode(0, &id) != nil || args.Decode(1, &counts) != nil {
		return
	}
	maps.DeleteFunc(counts, func(_ string, n int) bool { return n <= 0 })
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.instanceLocked(id)
	old := o.counts
	o.counts = counts
	for page, n := range old {
		if counts[page] != n {
			p.announceLocked(page)
		}
	}
	for page, n := range counts {
		if _, ok := old[page]; !ok && n > 0 {
			p.announceLocked(page)
		}
	}
}

// instanceLocked returns the record of instance id, created if new, and
// notes that it was heard from.
func (p *pages) instanceLocked(id string) *instance {
	o := p.others[id]
	if o == nil {
		o = &instance{counts: make(map[string]int)}
		p.others[id] = o
	}
	o.seen = time.Now()
	return o
}

// expire drops the instances not heard from since before, and announces
// the pages whose totals that changes.
func (p *pages) expire(before time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, o := range p.others {
		if o.seen.Before(before) {
			delete(p.others, id)
			for page := range o.counts {
				p.announceLocked(page)
			}
		}
	}
}
