package goods

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/livebuy/shop/internal/errs"
)

// Default cache timings of a Catalog; see CatalogOptions.
const (
	DefaultCatalogTTL   = 5 * time.Second
	DefaultMissRefresh  = time.Second
	maxAssignIDAttempts = 5
)

// CatalogOptions tunes a Catalog's cache.
type CatalogOptions struct {
	// TTL bounds how long a loaded catalogue is served before it is read
	// again; it is how goods created through another instance of the
	// shop show up in this one's listings. Zero means DefaultCatalogTTL.
	TTL time.Duration
	// MissRefresh is the least time between two reloads caused by a
	// lookup of an id the cache does not hold (goods just created on
	// another instance), so that requests for absent ids cannot turn
	// into a scan each. Zero means DefaultMissRefresh.
	MissRefresh time.Duration
}

// Catalog serves the goods catalogue from memory.
//
// Every read on the embedded FerretDB is a full scan, and the catalogue is
// small and read on every page, cart and order, so it is loaded whole and
// kept. Goods are only ever added, never changed or removed, so a stale
// copy can only lack new goods. This instance's Create invalidates the copy
// at once; other instances of the shop pick new goods up when their copy
// is older than TTL, or sooner when a lookup misses an id (at most once per
// MissRefresh). A version document checked on every read was rejected: on
// FerretDB that check is itself a scan, which is the cost the cache saves.
type Catalog struct {
	store GoodsStore
	ttl   time.Duration
	miss  time.Duration
	now   func() time.Time

	loadMu sync.Mutex // serialises loads so concurrent misses cause one scan

	mu   sync.Mutex // guards the fields below
	snap *snapshot
	gen  uint64 // bumped by every local change; a snapshot of an older gen is stale
}

// snapshot is one loaded copy of the catalogue; it is never modified.
type snapshot struct {
	list     []Goods // ordered by goodsId
	byID     map[int64]Goods
	loadedAt time.Time
	gen      uint64
}

// NewCatalog returns a Catalog reading from store.
func NewCatalog(store GoodsStore, opts CatalogOptions) *Catalog {
	if opts.TTL <= 0 {
		opts.TTL = DefaultCatalogTTL
	}
	if opts.MissRefresh <= 0 {
		opts.MissRefresh = DefaultMissRefresh
	}
	return &Catalog{store: store, ttl: opts.TTL, miss: opts.MissRefresh, now: time.Now}
}

// List returns the goods of the category ordered by goodsId; an empty
// category lists all goods. An unknown category lists none.
func (c *Catalog) List(ctx context.Context, category string) ([]Goods, error) {
	s, err := c.current(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Goods, 0, len(s.list))
	for _, g := range s.list {
		if category == "" || g.Category == category {
			out = append(out, g)
		}
	}
	return out, nil
}

// Get returns the goods with the id, or an errs.NotFound error.
func (c *Catalog) Get(ctx context.Context, id int64) (Goods, error) {
	if !ValidGoodsID(id) {
		return Goods{}, errs.E(errs.Invalid, msgBadGoodsID)
	}
	s, err := c.current(ctx)
	if err != nil {
		return Goods{}, err
	}
	if g, ok := s.byID[id]; ok {
		return g, nil
	}
	if c.now().Sub(s.loadedAt) < c.miss {
		return Goods{}, errs.E(errs.NotFound, msgGoodsNotFound)
	}
	s, err = c.load(ctx, s)
	if err != nil {
		return Goods{}, err
	}
	if g, ok := s.byID[id]; ok {
		return g, nil
	}
	return Goods{}, errs.E(errs.NotFound, msgGoodsNotFound)
}

// Create adds goods to the catalogue and returns them as stored. A zero
// GoodsID is replaced by the largest id in use plus one; when another
// creation takes that id first, the unique index refuses the insert and a
// new id is drawn. Invalid fields are errs.Invalid; a taken goodsId or name
// is errs.Conflict.
func (c *Catalog) Create(ctx context.Context, g Goods) (Goods, error) {
	if err := g.normalize(); err != nil {
		return Goods{}, err
	}
	assign := g.GoodsID == 0
	for attempt := 1; ; attempt++ {
		if assign {
			max, err := c.store.MaxGoodsID(ctx)
			if err != nil {
				return Goods{}, fmt.Errorf("goods: create %q: %w", g.Name, err)
			}
			if max >= MaxGoodsID {
				return Goods{}, errs.E(errs.Conflict, msgDuplicateGoodsID)
			}
			g.GoodsID = max + 1
		}
		err := c.store.InsertGoods(ctx, g)
		if err == nil {
			c.invalidate()
			return g, nil
		}
		switch {
		case errors.Is(err, ErrDuplicateName):
			return Goods{}, &errs.Error{Kind: errs.Conflict, Message: msgDuplicateName, Err: err}
		case errors.Is(err, ErrDuplicateGoodsID) && assign && attempt < maxAssignIDAttempts:
			continue
		case errors.Is(err, ErrDuplicateGoodsID):
			return Goods{}, &errs.Error{Kind: errs.Conflict, Message: msgDuplicateGoodsID, Err: err}
		}
		return Goods{}, fmt.Errorf("goods: create %q: %w", g.Name, err)
	}
}

// invalidate marks every snapshot loaded so far, or being loaded, stale.
func (c *Catalog) invalidate() {
	c.mu.Lock()
	c.gen++
	c.mu.Unlock()
}

// current returns a fresh snapshot, loading one when needed.
func (c *Catalog) current(ctx context.Context) (*snapshot, error) {
	c.mu.Lock()
	s := c.snap
	fresh := c.fresh(s)
	c.mu.Unlock()
	if fresh {
		return s, nil
	}
	return c.load(ctx, s)
}

// fresh reports whether s may be served; c.mu must be held.
func (c *Catalog) fresh(s *snapshot) bool {
	return s != nil && s.gen == c.gen && c.now().Sub(s.loadedAt) < c.ttl
}

// load reads the catalogue unless another caller replaced seen while this
// one waited for loadMu, in which case that newer snapshot is returned.
func (c *Catalog) load(ctx context.Context, seen *snapshot) (*snapshot, error) {
	c.loadMu.Lock()
	defer c.loadMu.Unlock()
	c.mu.Lock()
	if s := c.snap; s != seen && c.fresh(s) {
		c.mu.Unlock()
		return s, nil
	}
	gen := c.gen
	c.mu.Unlock()

	at := c.now()
	list, err := c.store.ListGoods(ctx)
	if err != nil {
		return nil, fmt.Errorf("goods: load catalogue: %w", err)
	}
	s := &snapshot{list: list, byID: make(map[int64]Goods, len(list)), loadedAt: at, gen: gen}
	for _, g := range list {
		s.byID[g.GoodsID] = g
	}
	c.mu.Lock()
	c.snap = s
	c.mu.Unlock()
	return s, nil
}
