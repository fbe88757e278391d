package goods

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/livebuy/shop/internal/errs"
)

// Quantity limits of a cart line or an order line.
const (
	MinQuantity = 1
	MaxQuantity = 99
)

// Messages shown to users.
const (
	msgBadQuantity = "수량은 1 이상 99 이하의 정수여야 합니다."
	// msgAlreadyInCart is the original shop's message, which its front end
	// shows as is.
	msgAlreadyInCart = "이미 장바구니에 해당하는 상품이 존재합니다."
)

// CartItem is one line of a cart as shown to its owner.
type CartItem struct {
	Quantity int   `json:"quantity"`
	Goods    Goods `json:"goods"`
}

// CartService manages users' carts. A user is named by the hex id of
// auth.Principal.UserID.
type CartService struct {
	store   CartStore
	catalog *Catalog
	log     *slog.Logger
	now     func() time.Time
}

// NewCartService returns a CartService storing in store and checking goods against
// catalog. A nil log discards.
func NewCartService(store CartStore, catalog *Catalog, log *slog.Logger) *CartService {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &CartService{store: store, catalog: catalog, log: log, now: time.Now}
}

// ValidQuantity reports whether q is an allowed line quantity.
func ValidQuantity(q int64) bool { return q >= MinQuantity && q <= MaxQuantity }

// List returns the user's cart in the order the lines were added, each with
// its goods. A line whose goods are no longer in the catalogue is left out.
func (c *CartService) List(ctx context.Context, userID string) ([]CartItem, error) {
	if userID == "" {
		return nil, errs.E(errs.Unauthorized, msgUnauthorized)
	}
	lines, err := c.store.CartLines(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("goods: list cart: %w", err)
	}
	items := make([]CartItem, 0, len(lines))
	for _, l := range lines {
		g, err := c.catalog.Get(ctx, l.GoodsID)
		if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Invalid) {
			c.log.WarnContext(ctx, "cart line without goods", "goods_id", l.GoodsID)
			continue
		}
		if err != nil {
			return nil, err
		}
		items = append(items, CartItem{Quantity: l.Quantity, Goods: g})
	}
	return items, nil
}

// Add puts quantity of the goods in the user's cart. When the cart already
// holds them it returns the original shop's errs.Invalid error (its clients
// expect 400), and the line is left as it was.
func (c *CartService) Add(ctx context.Context, userID string, goodsID, quantity int64) error {
	line, err := c.checkLine(ctx, userID, goodsID, quantity)
	if err != nil {
		return err
	}
	err = c.store.AddCartLine(ctx, userID, line, c.now())
	if errs.Is(err, errs.Conflict) {
		return &errs.Error{Kind: errs.Invalid, Message: msgAlreadyInCart, Err: err}
	}
	if err != nil {
		return fmt.Errorf("goods: add %d to cart: %w", goodsID, err)
	}
	return nil
}

// Set makes quantity the amount of the goods in the user's cart, adding the
// line when absent (older clients add with PUT).
func (c *CartService) Set(ctx context.Context, userID string, goodsID, quantity int64) error {
	line, err := c.checkLine(ctx, userID, goodsID, quantity)
	if err != nil {
		return err
	}
	if err := c.store.SetCartLine(ctx, userID, line, c.now()); err != nil {
		return fmt.Errorf("goods: set %d in cart: %w", goodsID, err)
	}
	return nil
}

// Remove takes the goods out of the user's cart; removing what is not there
// succeeds.
func (c *CartService) Remove(ctx context.Context, userID string, goodsID int64) error {
	if userID == "" {
		return errs.E(errs.Unauthorized, msgUnauthorized)
	}
	if !ValidGoodsID(goodsID) {
		return errs.E(errs.Invalid, msgBadGoodsID)
	}
	if err := c.store.RemoveCartLine(ctx, userID, goodsID); err != nil {
		return fmt.Errorf("goods: remove %d from cart: %w", goodsID, err)
	}
	return nil
}

func (c *CartService) checkLine(ctx context.Context, userID string, goodsID, quantity int64) (CartLine, error) {
	if userID == "" {
		return CartLine{}, errs.E(errs.Unauthorized, msgUnauthorized)
	}
	if !ValidGoodsID(goodsID) {
		return CartLine{}, errs.E(errs.Invalid, msgBadGoodsID)
	}
	if !ValidQuantity(quantity) {
		return CartLine{}, errs.E(errs.Invalid, msgBadQuantity)
	}
	if _, err := c.catalog.Get(ctx, goodsID); err != nil {
		return CartLine{}, err
	}
	return CartLine{GoodsID: goodsID, Quantity: int(quantity)}, nil
}
