// Package live connects the shop to its Socket.IO endpoint: it identifies
// each socket's user at the handshake, turns BUY events into orders,
// announces every recorded order as BUY_GOODS and keeps the per-page viewer
// counts (CHANGED_PAGE / SAME_PAGE_VIEWER_COUNT), summed over the instances
// that share broadcasts.
//
// Package realtime knows nothing of the shop; this package is the only place
// where the two meet, and cmd/shop wires it.
package live

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/livebuy/shop/internal/auth"
	"github.com/livebuy/shop/internal/goods"
	"github.com/livebuy/shop/internal/realtime"
)

// Event names of the shop's real-time contract.
const (
	EventBuy           = "BUY"
	EventBuyGoods      = "BUY_GOODS"
	EventChangedPage   = "CHANGED_PAGE"
	EventSameViewCount = "SAME_PAGE_VIEWER_COUNT"
)

// Authenticator turns a bearer token into the user it was issued to.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (auth.Principal, error)
}

// OrderPlacer records an order; goods.OrderService implements it.
type OrderPlacer interface {
	Place(ctx context.Context, buyer goods.Buyer, items []goods.Item) (goods.Order, error)
}

// Config configures Attach.
type Config struct {
	Auth   Authenticator
	Orders OrderPlacer
	// OrderTimeout bounds the work of one BUY. Default 10s.
	OrderTimeout time.Duration
	// ViewerSync is how often this instance sends all its viewer counts
	// to the other instances sharing the namespace's adapter (Redis),
	// which otherwise hear of each change as it happens; the counts of an
	// instance silent for three intervals are dropped. 0, for an instance
	// that runs alone, shares nothing.
	ViewerSync time.Duration
	Logger     *slog.Logger // nil discards
}

// userKey is the socket data key holding the socket's auth.Principal.
const userKey = "user"

// Attach registers the shop's handshake middleware and event handlers on
// nsp. With cfg.ViewerSync set it also starts sharing the viewer counts
// with the other instances; stop ends that, telling them this instance has
// no viewers left, and returns once done. stop does nothing otherwise; the
// handlers live as long as nsp.
func Attach(nsp *realtime.Namespace, cfg Config) (stop func()) {
	if cfg.OrderTimeout <= 0 {
		cfg.OrderTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &handler{cfg: cfg, pages: newPages(nsp, cfg.ViewerSync)}
	nsp.Use(h.identify)
	nsp.OnConnection(h.connected)
	if cfg.ViewerSync <= 0 {
		return func() {}
	}
	done, exited := make(chan struct{}), make(chan struct{})
	go func() { // exits when stop closes done
		defer close(exited)
		h.pages.share(done)
	}()
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		<-exited
	}
}

type handler struct {
	cfg   Config
	pages *pages
}

// identify reads the user from the Authorization cookie or header of the
// handshake, or from the CONNECT packet's auth.token. A missing or invalid
// token leaves the socket anonymous: anonymous visitors still receive
// BUY_GOODS; only their BUY is refused.
func (h *handler) identify(s *realtime.Socket) error {
	hs := s.Handshake()
	token := auth.TokenFromHeader(hs.Header)
	if token == "" {
		token = tokenFromAuth(hs.Auth)
	}
	if token == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.OrderTimeout)
	defer cancel()
	p, err := h.cfg.Auth.Authenticate(ctx, token)
	if err != nil {
		h.cfg.Logger.Debug("socket stays anonymous", "socket", s.ID(), "err", err)
		return nil
	}
	s.Data().Set(userKey, p)
	return nil
}

func (h *handler) connected(s *realtime.Socket) {
	s.On(EventBuy, func(args realtime.Args, ack realtime.AckFunc) { h.buy(s, args, ack) })
	s.On(EventChangedPage, func(args realtime.Args, _ realtime.AckFunc) { h.changedPage(s, args) })
	s.OnDisconnect(func(string) { h.pages.leave(s) })
}

func userOf(s *realtime.Socket) (auth.Principal, bool) {
	v, ok := s.Data().Get(userKey)
	if !ok {
		return auth.Principal{}, false
	}
	p, ok := v.(auth.Principal)
	return p, ok
}
