package goods_test

import (
	"testing"

	"github.com/livebuy/shop/internal/database/dbtest"
	"github.com/livebuy/shop/internal/goods"
)

// BenchmarkCatalogList compares a listing served by the Catalog's cache
// with the scan it saves on the embedded database.
func BenchmarkCatalogList(b *testing.B) {
	store := goods.NewMongoStore(dbtest.Migrated(b))
	b.Run("cached", func(b *testing.B) {
		c := goods.NewCatalog(store, goods.CatalogOptions{})
		for b.Loop() {
			if _, err := c.List(b.Context(), "food"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("store scan", func(b *testing.B) {
		for b.Loop() {
			if _, err := store.ListGoods(b.Context()); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPlaceOrder places two-line orders of explicit items: the catalogue
// lookups are cached, the insert goes to the embedded database.
func BenchmarkPlaceOrder(b *testing.B) {
	store := goods.NewMongoStore(dbtest.Migrated(b))
	orders := goods.NewOrderService(store, goods.NewCatalog(store, goods.CatalogOptions{}), nil, nil)
	buyer := goods.Buyer{UserID: "65f000000000000000000001", Nickname: "bench"}
	items := []goods.Item{{GoodsID: 5, Quantity: 3}, {GoodsID: 1, Quantity: 1}}
	for b.Loop() {
		if _, err := orders.Place(b.Context(), buyer, items); err != nil {
			b.Fatal(err)
		}
	}
}
