package goods

import (
	"context"
	"errors"
	"time"
)

// Store persists goods, carts and orders. MongoStore (mongo.go) is the
// implementation; tests wrap it to inject failures. Every error a Store
// returns is an *errs.Error or wraps one, so callers can tell a conflict
// from a fault without knowing the database.
type Store interface {
	GoodsStore
	CartStore
	OrderStore
}

// Sentinel causes wrapped in the errs.Conflict errors of
// GoodsStore.InsertGoods, telling which unique rule the new goods broke.
var (
	ErrDuplicateGoodsID = errors.New("goods: duplicate goodsId")
	ErrDuplicateName    = errors.New("goods: duplicate name")
)

// GoodsStore persists the catalogue.
type GoodsStore interface {
	// ListGoods returns every goods ordered by goodsId.
	ListGoods(ctx context.Context) ([]Goods, error)
	// MaxGoodsID returns the largest goodsId in use, or 0 when there is none.
	MaxGoodsID(ctx context.Context) (int64, error)
	// InsertGoods adds g. When g's goodsId or name is taken it returns an
	// errs.Conflict error wrapping ErrDuplicateGoodsID or ErrDuplicateName.
	InsertGoods(ctx context.Context, g Goods) error
}

// CartLine is one row of a user's cart as stored: which goods, how many.
type CartLine struct {
	GoodsID  int64
	Quantity int
}

// CartStore persists carts: at most one line per user and goods.
type CartStore interface {
	// CartLines returns the user's lines in the order they were added.
	CartLines(ctx context.Context, userID string) ([]CartLine, error)
	// AddCartLine inserts a line added at the given time; when the user's
	// cart already holds the goods it returns an errs.Conflict error.
	AddCartLine(ctx context.Context, userID string, line CartLine, at time.Time) error
	// SetCartLine sets the quantity of the user's line for the goods,
	// inserting it (added at the given time) when absent.
	SetCartLine(ctx context.Context, userID string, line CartLine, at time.Time) error
	// RemoveCartLine deletes the user's line for the goods, if any.
	RemoveCartLine(ctx context.Context, userID string, goodsID int64) error
	// RemoveCartLines deletes the user's lines that still hold exactly the
	// given goods and quantities, so a line changed meanwhile stays.
	RemoveCartLines(ctx context.Context, userID string, lines []CartLine) error
}

// OrderStore persists orders.
type OrderStore interface {
	// InsertOrder durably records o (its ID is ignored) and returns the id
	// it was given. An error means the order cannot be counted as recorded
	// (a lost connection can leave that unknown), so it is not announced.
	InsertOrder(ctx context.Context, o Order) (string, error)
	// Orders returns the user's orders, newest first.
	Orders(ctx context.Context, userID string) ([]Order, error)
}
