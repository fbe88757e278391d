package goods_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/livebuy/shop/internal/database/dbtest"
	"github.com/livebuy/shop/internal/errs"
	"github.com/livebuy/shop/internal/goods"
	"github.com/livebuy/shop/migrations"
)

func TestMongoStore(t *testing.T) {
	t.Parallel()
	storeSuite(t, dbtest.Migrated(t))
}

func TestMongoStoreContainer(t *testing.T) {
	t.Parallel()
	storeSuite(t, dbtest.Container(t))
}

// seedGoods returns the catalogue the migrations seed.
func seedGoods(t *testing.T) []goods.Goods {
	t.Helper()
	items, err := migrations.Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]goods.Goods, len(items))
	for i, it := range items {
		out[i] = goods.Goods{GoodsID: it.GoodsID, Name: it.Name, Price: goods.Money(it.Price), ThumbnailURL: it.ThumbnailURL, Category: it.Category}
	}
	return out
}

// storeSuite runs every Store test on one migrated database. Subtests run
// in order; those that need a user make a fresh one, so they do not see
// each other's carts and orders.
func storeSuite(t *testing.T, db *mongo.Database) {
	s := goods.NewMongoStore(db)
	ctx := t.Context()
	newUser := func() string { return bson.NewObjectID().Hex() }

	t.Run("seeded catalogue", func(t *testing.T) {
		got, err := s.ListGoods(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want := seedGoods(t)
		if !slices.Equal(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
		max, err := s.MaxGoodsID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if max != 8 {
			t.Errorf("MaxGoodsID: got %d, want 8", max)
		}
	})

	t.Run("insert goods", func(t *testing.T) {
		g := goods.Goods{GoodsID: 1001, Name: "store suite goods", Price: 620, ThumbnailURL: "/images/goods/mug.svg", Category: "goods"}
		if err := s.InsertGoods(ctx, g); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListGoods(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if last := list[len(list)-1]; last != g {
			t.Errorf("last goods: got %+v, want %+v", last, g)
		}
		if max, _ := s.MaxGoodsID(ctx); max != 1001 {
			t.Errorf("MaxGoodsID: got %d, want 1001", max)
		}
		tests := []struct {
			name  string
			g     goods.Goods
			cause error
		}{
			{"same id", goods.Goods{GoodsID: 1001, Name: "another name", Price: 1, ThumbnailURL: "/x.svg", Category: "food"}, goods.ErrDuplicateGoodsID},
			{"same name", goods.Goods{GoodsID: 1002, Name: "store suite goods", Price: 1, ThumbnailURL: "/x.svg", Category: "food"}, goods.ErrDuplicateName},
			{"seeded name", goods.Goods{GoodsID: 1003, Name: "아메리카노", Price: 1, ThumbnailURL: "/x.svg", Category: "drink"}, goods.ErrDuplicateName},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := s.InsertGoods(ctx, tt.g)
				if !errs.Is(err, errs.Conflict) || !errors.Is(err, tt.cause) {
					t.Errorf("got %v, want a Conflict wrapping %v", err, tt.cause)
				}
			})
		}
		if list2, _ := s.ListGoods(ctx); len(list2) != len(list) {
			t.Errorf("refused inserts changed the catalogue: got %d goods, want %d", len(list2), len(list))
		}
	})

	t.Run("cart lines", func(t *testing.T) {
		u, other := newUser(), newUser()
		t0 := time.Date(2026, 11, 21, 5, 12, 34, 567_000_000, time.UTC)
		add := func(user string, id int64, q int, at time.Time) {
			t.Helper()
			if err := s.AddCartLine(ctx, user, goods.CartLine{GoodsID: id, Quantity: q}, at); err != nil {
				t.Fatalf("add %d: %v", id, err)
			}
		}
		// Added in this order; 3 and 1 share an instant, so the insertion
		// order (_id) decides between them.
		add(u, 5, 2, t0)
		add(u, 3, 1, t0.Add(time.Second))
		add(u, 1, 4, t0.Add(time.Second))
		add(other, 2, 9, t0)
		lines := func(user string) []goods.CartLine {
			t.Helper()
			l, err := s.CartLines(ctx, user)
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		want := []goods.CartLine{{5, 2}, {3, 1}, {1, 4}}
		if got := lines(u); !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}

		err := s.AddCartLine(ctx, u, goods.CartLine{GoodsID: 3, Quantity: 7}, t0.Add(time.Hour))
		if !errs.Is(err, errs.Conflict) {
			t.Errorf("second add: got %v, want a Conflict", err)
		}
		if got := lines(u); !slices.Equal(got, want) {
			t.Errorf("after refused add: got %v, want %v", got, want)
		}

		// Set keeps a line's place and appends an absent one.
		if err := s.SetCartLine(ctx, u, goods.CartLine{GoodsID: 5, Quantity: 9}, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.SetCartLine(ctx, u, goods.CartLine{GoodsID: 7, Quantity: 1}, t0.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		want = []goods.CartLine{{5, 9}, {3, 1}, {1, 4}, {7, 1}}
		if got := lines(u); !slices.Equal(got, want) {
			t.Fatalf("after set: got %v, want %v", got, want)
		}

		// RemoveCartLines takes only lines that still match.
		if err := s.RemoveCartLines(ctx, u, []goods.CartLine{{5, 2}, {3, 1}, {2, 9}}); err != nil {
			t.Fatal(err)
		}
		want = []goods.CartLine{{5, 9}, {1, 4}, {7, 1}}
		if got := lines(u); !slices.Equal(got, want) {
			t.Errorf("after remove lines: got %v, want %v", got, want)
		}

		for range 2 { // idempotent
			if err := s.RemoveCartLine(ctx, u, 1); err != nil {
				t.Fatal(err)
			}
		}
		want = []goods.CartLine{{5, 9}, {7, 1}}
		if got := lines(u); !slices.Equal(got, want) {
			t.Errorf("after remove: got %v, want %v", got, want)
		}
		if got := lines(other); !slices.Equal(got, []goods.CartLine{{2, 9}}) {
			t.Errorf("other user's cart: got %v, want [{2 9}]", got)
		}
		if got := lines(newUser()); len(got) != 0 {
			t.Errorf("new user's cart: got %v, want none", got)
		}
	})

	t.Run("concurrent set of an absent line", func(t *testing.T) {
		u := newUser()
		errc := make(chan error, 4)
		for q := range 4 {
			go func() {
				errc <- s.SetCartLine(ctx, u, goods.CartLine{GoodsID: 4, Quantity: q + 1}, time.Now())
			}()
		}
		for range 4 {
			if err := <-errc; err != nil {
				t.Errorf("set: %v", err)
			}
		}
		got, err := s.CartLines(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].GoodsID != 4 {
			t.Errorf("got %v, want one line of goods 4", got)
		}
	})

	t.Run("orders", func(t *testing.T) {
		u, other := newUser(), newUser()
		t0 := time.Date(2026, 11, 21, 5, 12, 34, 567_000_000, time.UTC)
		var want []goods.Order
		for i := range 3 {
			o := goods.Order{
				UserID:    u,
				Lines:     []goods.OrderLine{{GoodsID: 5, Name: "치즈케이크", Price: 620, Quantity: 3}, {GoodsID: 1, Name: "아메리카노", Price: 450000, Quantity: i + 1}},
				CreatedAt: t0.Add(time.Duration(i) * time.Millisecond),
			}
			o.Total = 1860 + 450000*goods.Money(i+1)
			id, err := s.InsertOrder(ctx, o)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := bson.ObjectIDFromHex(id); err != nil {
				t.Fatalf("order id: got %q, want a hex ObjectId", id)
			}
			o.ID = id
			want = append([]goods.Order{o}, want...)
		}
		if _, err := s.InsertOrder(ctx, goods.Order{UserID: other, Lines: []goods.OrderLine{{GoodsID: 2, Name: "카페라떼", Price: 500000, Quantity: 1}}, Total: 500000, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
		got, err := s.Orders(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("got %d orders, want %d", len(got), len(want))
		}
		for i := range got {
			if fmt.Sprint(got[i]) != fmt.Sprint(want[i]) || !got[i].CreatedAt.Equal(want[i].CreatedAt) {
				t.Errorf("order %d: got %+v, want %+v", i, got[i], want[i])
			}
		}
		if none, err := s.Orders(ctx, newUser()); err != nil || len(none) != 0 {
			t.Errorf("new user's orders: got %v, %v, want none", none, err)
		}
	})

	t.Run("malformed user id", func(t *testing.T) {
		calls := []struct {
			name string
			call func(context.Context) error
		}{
			{"CartLines", func(ctx context.Context) error { _, err := s.CartLines(ctx, "nope"); return err }},
			{"AddCartLine", func(ctx context.Context) error { return s.AddCartLine(ctx, "nope", goods.CartLine{1, 1}, time.Now()) }},
			{"SetCartLine", func(ctx context.Context) error { return s.SetCartLine(ctx, "nope", goods.CartLine{1, 1}, time.Now()) }},
			{"RemoveCartLine", func(ctx context.Context) error { return s.RemoveCartLine(ctx, "nope", 1) }},
			{"InsertOrder", func(ctx context.Context) error { _, err := s.InsertOrder(ctx, goods.Order{UserID: "nope"}); return err }},
			{"Orders", func(ctx context.Context) error { _, err := s.Orders(ctx, `{"$ne":null}`); return err }},
		}
		for _, c := range calls {
			t.Run(c.name, func(t *testing.T) {
				if err := c.call(ctx); !errs.Is(err, errs.Unauthorized) {
					t.Errorf("got %v, want an Unauthorized error", err)
				}
			})
		}
	})
}
