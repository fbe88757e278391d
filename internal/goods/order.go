package goods

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/livebuy/shop/internal/errs"
)

// MaxOrderLines bounds the distinct goods of one order.
const MaxOrderLines = 100

// Messages shown to users.
const (
	msgEmptyOrder     = "주문할 상품이 없습니다."
	msgEmptyCart      = "장바구니가 비어 있습니다."
	msgTooManyLines   = "한 번에 주문할 수 있는 상품은 100종류까지입니다."
	msgOrderTooLarge  = "주문 금액이 너무 큽니다."
	msgOrderNotStored = "주문을 저장하지 못했습니다. 잠시 후 다시 시도해 주세요."
)

// Item is one line of an order request: which goods and how many.
type Item struct {
	GoodsID  int64
	Quantity int64
}

// OrderLine is one line of a recorded order, with the name and unit price
// the goods had when the order was placed.
type OrderLine struct {
	GoodsID  int64  `json:"goodsId"`
	Name     string `json:"name"`
	Price    Money  `json:"price"`
	Quantity int    `json:"quantity"`
}

// Order is a recorded purchase.
type Order struct {
	ID        string // hex ObjectId
	UserID    string // hex ObjectId of the buyer
	Lines     []OrderLine
	Total     Money
	CreatedAt time.Time // UTC, millisecond precision
}

// TimeFormat is how the shop writes instants in JSON: ISO-8601 UTC with
// milliseconds, as JavaScript's Date.prototype.toISOString does.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// MarshalJSON renders o as {orderId, items, total, createdAt}; the buyer is
// implied by who asks.
func (o Order) MarshalJSON() ([]byte, error) {
	lines := o.Lines
	if lines == nil {
		lines = []OrderLine{}
	}
	return json.Marshal(struct {
		OrderID   string      `json:"orderId"`
		Items     []OrderLine `json:"items"`
		Total     Money       `json:"total"`
		CreatedAt string      `json:"createdAt"`
	}{o.ID, lines, o.Total, o.CreatedAt.UTC().Format(TimeFormat)})
}

// Buyer is who places an order: the signed-in user's id (hex) and the
// nickname announced with the purchase, both taken from the server's record
// of the user, never from the client.
type Buyer struct {
	UserID   string
	Nickname string
}

// Purchase announces a recorded order to everyone watching the shop (the
// BUY_GOODS event).
type Purchase struct {
	Nickname  string
	GoodsID   int64     // the first line's goods
	GoodsName string    // the first line's name, "<name> 외 <n-1>개의 상품" for n lines
	Date      time.Time // the order's CreatedAt
}

// Notifier is told about every order after it is durably recorded.
// OrderPlaced is called once per order, synchronously, on the goroutine that
// placed it, with a context that is not cancelled when the buyer goes away;
// it must not block for long (a broadcaster enqueues and returns), and it
// cannot fail the order, which is already recorded.
type Notifier interface {
	OrderPlaced(ctx context.Context, p Purchase)
}

// OrderService places and lists orders. HTTP (POST /api/orders) and the socket
// BUY event both go through Place, so both record and announce orders the
// same way.
type OrderService struct {
	store    Store
	catalog  *Catalog
	notifier Notifier
	log      *slog.Logger
	now      func() time.Time
}

// NewOrderService returns an OrderService recording in store, pricing from catalog and
// announcing through n (nil announces nothing). A nil log discards.
func NewOrderService(store Store, catalog *Catalog, n Notifier, log *slog.Logger) *OrderService {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &OrderService{store: store, catalog: catalog, notifier: n, log: log, now: time.Now}
}

// Place records an order of items for buyer, or of the buyer's whole cart
// when items is nil (a non-nil empty slice is an empty order). In order:
//
//  1. It checks the request: a non-empty order of at most MaxOrderLines
//     goods, each id valid, each quantity within MinQuantity..MaxQuantity.
//     Lines naming the same goods are merged into one, in the place of the
//     first, their quantities added (the sum must still be allowed).
//  2. It prices every line from the catalogue (names and prices never come
//     from the client); unknown goods are errs.NotFound and nothing is
//     written.
//  3. It inserts the order. If that fails nothing else happens and the
//     error (with a readable message) is returned.
//  4. For a cart order it removes the ordered lines from the cart; a
//     failure there is logged, as the order stands.
//  5. It tells the Notifier, once.
//
// Invalid requests are errs.Invalid, a missing user errs.Unauthorized.
func (o *OrderService) Place(ctx context.Context, buyer Buyer, items []Item) (Order, error) {
	if buyer.UserID == "" {
		return Order{}, errs.E(errs.Unauthorized, msgUnauthorized)
	}
	fromCart := items == nil
	var cart []CartLine
	if fromCart {
		var err error
		cart, err = o.store.CartLines(ctx, buyer.UserID)
		if err != nil {
			return Order{}, fmt.Errorf("goods: place order from cart: %w", err)
		}
		if len(cart) == 0 {
			return Order{}, errs.E(errs.Invalid, msgEmptyCart)
		}
		items = make([]Item, len(cart))
		for i, l := range cart {
			items[i] = Item{GoodsID: l.GoodsID, Quantity: int64(l.Quantity)}
		}
	}
	merged, err := mergeItems(items)
	if err != nil {
		return Order{}, err
	}
	order := Order{UserID: buyer.UserID, Lines: make([]OrderLine, 0, len(merged))}
	for _, it := range merged {
		g, err := o.catalog.Get(ctx, it.GoodsID)
		if errs.Is(err, errs.NotFound) {
			return Order{}, errs.E(errs.NotFound, msgGoodsNotFound+" (상품 번호 "+strconv.FormatInt(it.GoodsID, 10)+")")
		}
		if err != nil {
			return Order{}, err
		}
		sub, err := g.Price.Times(int(it.Quantity))
		if err == nil {
			order.Total, err = order.Total.Plus(sub)
		}
		if err != nil {
			return Order{}, &errs.Error{Kind: errs.Invalid, Message: msgOrderTooLarge, Err: err}
		}
		order.Lines = append(order.Lines, OrderLine{GoodsID: g.GoodsID, Name: g.Name, Price: g.Price, Quantity: int(it.Quantity)})
	}
	// The order is recorded, so finishing it must not depend on the buyer
	// staying connected.
	ctx = context.WithoutCancel(ctx)
	order.CreatedAt = o.now().UTC().Truncate(time.Millisecond)
	id, err := o.store.InsertOrder(ctx, order)
	if err != nil {
		var e *errs.Error
		if errors.As(err, &e) && e.Kind != errs.Internal {
			return Order{}, err
		}
		return Order{}, &errs.Error{Kind: errs.Unavailable, Message: msgOrderNotStored, Err: fmt.Errorf("goods: insert order: %w", err)}
	}
	order.ID = id
	if fromCart {
		if err := o.store.RemoveCartLines(ctx, buyer.UserID, cart); err != nil {
			o.log.ErrorContext(ctx, "order recorded but cart not emptied", "order_id", id, "user_id", buyer.UserID, "err", err)
		}
	}
	if o.notifier != nil {
		o.notifier.OrderPlaced(ctx, purchaseOf(buyer, order))
	}
	return order, nil
}

// List returns the user's orders, newest first.
func (o *OrderService) List(ctx context.Context, userID string) ([]Order, error) {
	if userID == "" {
		return nil, errs.E(errs.Unauthorized, msgUnauthorized)
	}
	list, err := o.store.Orders(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("goods: list orders: %w", err)
	}
	return list, nil
}

// mergeItems checks items and merges lines naming the same goods.
func mergeItems(items []Item) ([]Item, error) {
	if len(items) == 0 {
		return nil, errs.E(errs.Invalid, msgEmptyOrder)
	}
	merged := make([]Item, 0, len(items))
	at := make(map[int64]int, len(items))
	for _, it := range items {
		if !ValidGoodsID(it.GoodsID) {
			return nil, errs.E(errs.Invalid, msgBadGoodsID)
		}
		if !ValidQuantity(it.Quantity) {
			return nil, errs.E(errs.Invalid, msgBadQuantity)
		}
		if i, ok := at[it.GoodsID]; ok {
			merged[i].Quantity += it.Quantity
			if !ValidQuantity(merged[i].Quantity) {
				return nil, errs.E(errs.Invalid, msgBadQuantity)
			}
			continue
		}
		if len(merged) == MaxOrderLines {
			return nil, errs.E(errs.Invalid, msgTooManyLines)
		}
		at[it.GoodsID] = len(merged)
		merged = append(merged, it)
	}
	return merged, nil
}

// purchaseOf describes order for the announcement.
func purchaseOf(b Buyer, o Order) Purchase {
	first := o.Lines[0]
	name := first.Name
	if n := len(o.Lines); n > 1 {
		name = fmt.Sprintf("%s 외 %d개의 상품", first.Name, n-1)
	}
	return Purchase{Nickname: b.Nickname, GoodsID: first.GoodsID, GoodsName: name, Date: o.CreatedAt}
}
