package goods_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/database/dbtest"
	"github.com/livebuy/shop/internal/errs"
	"github.com/livebuy/shop/internal/goods"
)

// countingStore counts the catalogue scans of the real store.
type countingStore struct {
	goods.GoodsStore
	scans atomic.Int64
}

func (c *countingStore) ListGoods(ctx context.Context) ([]goods.Goods, error) {
	c.scans.Add(1)
	return c.GoodsStore.ListGoods(ctx)
}

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// TestCatalogCache runs two catalogues on one database, as two instances
// of the shop would, and follows what each scans and sees.
func TestCatalogCache(t *testing.T) {
	t.Parallel()
	store := goods.NewMongoStore(dbtest.Migrated(t))
	ctx := t.Context()
	clk := &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	newCatalog := func() (*goods.Catalog, *countingStore) {
		cs := &countingStore{GoodsStore: store}
		c := goods.NewCatalog(cs, goods.CatalogOptions{TTL: 5 * time.Second, MissRefresh: time.Second})
		goods.SetCatalogClock(c, clk.Now)
		return c, cs
	}
	a, aStore := newCatalog()
	b, bStore := newCatalog()
	expectScans := func(t *testing.T, cs *countingStore, want int64) {
		t.Helper()
		if got := cs.scans.Load(); got != want {
			t.Fatalf("got %d scans, want %d", got, want)
		}
	}
	count := func(t *testing.T, c *goods.Catalog) int {
		t.Helper()
		list, err := c.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}

	t.Run("concurrent first reads scan once", func(t *testing.T) {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := a.List(ctx, "drink"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		expectScans(t, aStore, 1)
		for range 5 {
			if _, err := a.Get(ctx, 3); err != nil {
				t.Fatal(err)
			}
		}
		expectScans(t, aStore, 1)
	})

	t.Run("create invalidates at once", func(t *testing.T) {
		if n := count(t, b); n != 8 {
			t.Fatalf("b: got %d goods, want 8", n)
		}
		g, err := a.Create(ctx, goods.Goods{Name: "캐시 상품", Price: 100, ThumbnailURL: "/x.svg", Category: "goods"})
		if err != nil {
			t.Fatal(err)
		}
		if g.GoodsID != 9 {
			t.Errorf("assigned id: got %d, want 9", g.GoodsID)
		}
		if n := count(t, a); n != 9 {
			t.Errorf("a after its create: got %d goods, want 9", n)
		}
		expectScans(t, aStore, 2)
	})

	t.Run("another instance converges", func(t *testing.T) {
		// Within the TTL b serves its copy without the new goods.
		if n := count(t, b); n != 8 {
			t.Errorf("b within TTL: got %d goods, want 8", n)
		}
		expectScans(t, bStore, 1)
		// A miss inside MissRefresh of the last load does not scan.
		if _, err := b.Get(ctx, 9); !errs.Is(err, errs.NotFound) {
			t.Errorf("b.Get(9) right after load: got %v, want NotFound", err)
		}
		expectScans(t, bStore, 1)
		// Later, a miss reloads once and finds the goods.
		clk.Add(2 * time.Second)
		if g, err := b.Get(ctx, 9); err != nil || g.Name != "캐시 상품" {
			t.Errorf("b.Get(9) after MissRefresh: got %+v, %v, want the new goods", g, err)
		}
		expectScans(t, bStore, 2)
		// Misses of absent ids are bounded to one scan per MissRefresh.
		for range 10 {
			if _, err := b.Get(ctx, 12345); !errs.Is(err, errs.NotFound) {
				t.Fatalf("got %v, want NotFound", err)
			}
		}
		expectScans(t, bStore, 2)
	})

	t.Run("ttl expiry reloads", func(t *testing.T) {
		before := aStore.scans.Load()
		clk.Add(6 * time.Second)
		count(t, a)
		count(t, a)
		expectScans(t, aStore, before+1)
	})
}
