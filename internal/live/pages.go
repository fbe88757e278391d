package live

import (
	"strings"
	"sync"

	"github.com/livebuy/shop/internal/realtime"
)

// maxPageLen bounds the page a client may claim to view.
const maxPageLen = 512

// pageKey is the socket data key holding the page the socket views.
const pageKey = "page"

// pages tracks which page each socket views, as a room per page, and tells
// the viewers of a page how many they are whenever that changes.
type pages struct {
	nsp *realtime.Namespace
	// mu serialises a change of page with the counts it announces, so that
	// two sockets moving at once cannot leave a stale count as the last word.
	mu sync.Mutex
}

func newPages(nsp *realtime.Namespace) *pages { return &pages{nsp: nsp} }

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
		p.announce(oldPage)
	}
	s.Data().Set(pageKey, page)
	s.Join(pageRoom(page))
	p.announce(page)
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
	p.announce(page)
}

func (p *pages) announce(page string) {
	room := pageRoom(page)
	n := p.nsp.RoomSize(room)
	if n == 0 {
		return
	}
	// The count is this instance's own: with a cluster adapter, the other
	// instances announce theirs to their own viewers.
	_ = p.nsp.Local().To(room).Emit(EventSameViewCount, n) // failure only for reserved names
}
