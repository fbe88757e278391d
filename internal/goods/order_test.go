package goods_test

import (
	"testing"
	"time"

	"github.com/livebuy/shop/internal/errs"
	"github.com/livebuy/shop/internal/goods"
)

// TestPlace drives OrderService.Place as the socket BUY handler does,
// without HTTP.
func TestPlace(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	u := s.user(t, "socketbuyer", "socketbuyer@shop.test")
	buyer := goods.Buyer{UserID: u.p.UserID, Nickname: "socketbuyer"}
	ctx := t.Context()

	t.Run("one item", func(t *testing.T) {
		o, err := s.orders.Place(ctx, buyer, []goods.Item{{GoodsID: 5, Quantity: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if o.ID == "" || o.UserID != buyer.UserID || o.Total != 6200_00 || len(o.Lines) != 1 {
			t.Fatalf("got %+v, want one line of goods 5 for the buyer totalling 6200", o)
		}
		if o.CreatedAt.Location() != time.UTC || o.CreatedAt.Nanosecond()%int(time.Millisecond) != 0 {
			t.Errorf("CreatedAt: got %v, want UTC with millisecond precision", o.CreatedAt)
		}
		want := goods.Purchase{Nickname: "socketbuyer", GoodsID: 5, GoodsName: "치즈케이크", Date: o.CreatedAt}
		if got := s.notes.take(); len(got) != 1 || got[0] != want {
			t.Errorf("notifications: got %+v, want exactly [%+v]", got, want)
		}
		if got := u.orders(); len(got) != 1 || got[0].OrderID != o.ID {
			t.Errorf("orders: got %v, want the placed one", got)
		}
	})

	t.Run("three items", func(t *testing.T) {
		_, err := s.orders.Place(ctx, buyer, []goods.Item{{GoodsID: 8, Quantity: 1}, {GoodsID: 1, Quantity: 1}, {GoodsID: 2, Quantity: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.notes.take(); len(got) != 1 || got[0].GoodsName != "머그컵 외 2개의 상품" || got[0].GoodsID != 8 {
			t.Errorf("notifications: got %+v, want one for goods 8 named 머그컵 외 2개의 상품", got)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		tests := []struct {
			name  string
			buyer goods.Buyer
			items []goods.Item
			kind  errs.Kind
		}{
			{"no user", goods.Buyer{Nickname: "x"}, []goods.Item{{GoodsID: 1, Quantity: 1}}, errs.Unauthorized},
			{"empty cart", buyer, nil, errs.Invalid},
			{"empty items", buyer, []goods.Item{}, errs.Invalid},
			{"zero quantity", buyer, []goods.Item{{GoodsID: 1, Quantity: 0}}, errs.Invalid},
			{"bad id", buyer, []goods.Item{{GoodsID: -1, Quantity: 1}}, errs.Invalid},
			{"unknown goods", buyer, []goods.Item{{GoodsID: 4040, Quantity: 1}}, errs.NotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := s.orders.Place(ctx, tt.buyer, tt.items)
				if k := errs.KindOf(err); err == nil || k != tt.kind {
					t.Errorf("got %v (kind %v), want kind %v", err, k, tt.kind)
				}
			})
		}
		if got := s.notes.take(); len(got) != 0 {
			t.Errorf("got notifications %+v, want none", got)
		}
		if got := u.orders(); len(got) != 2 {
			t.Errorf("got %d orders, want the 2 placed before", len(got))
		}
	})

	t.Run("a nil notifier is allowed", func(t *testing.T) {
		svc := goods.NewOrderService(s.store, goods.NewCatalog(s.store, goods.CatalogOptions{}), nil, nil)
		if _, err := svc.Place(ctx, buyer, []goods.Item{{GoodsID: 1, Quantity: 1}}); err != nil {
			t.Fatal(err)
		}
		if got := u.orders(); len(got) != 3 {
			t.Errorf("got %d orders, want 3", len(got))
		}
		if got := s.notes.take(); len(got) != 0 {
			t.Errorf("another service's order reached this notifier: %+v", got)
		}
	})
}
