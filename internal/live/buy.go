package live

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/livebuy/shop/internal/auth"
	"github.com/livebuy/shop/internal/errs"
	"github.com/livebuy/shop/internal/goods"
	"github.com/livebuy/shop/internal/httpapi"
	"github.com/livebuy/shop/internal/realtime"
)

// Messages a BUY acknowledgement may carry.
const (
	msgBadBuy   = "구매 요청의 형식이 올바르지 않습니다."
	msgInternal = "일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."
)

// buyRequest is a BUY payload. The original front end sends
// {nickname, goodsId, goodsName}; newer clients send {goodsId, quantity}.
// The nickname and goods name a client sends are ignored: the order takes
// them from the signed-in user and the catalogue.
type buyRequest struct {
	GoodsID  httpapi.Int `json:"goodsId"`
	Quantity httpapi.Int `json:"quantity"`
}

// ackError is the acknowledgement of a refused BUY.
type ackError struct {
	ErrorMessage string `json:"errorMessage"`
}

// ackOrder is the acknowledgement of a recorded BUY, shaped like the body of
// POST /api/orders.
type ackOrder struct {
	Order goods.Order `json:"order"`
}

func (h *handler) buy(s *realtime.Socket, args realtime.Args, ack realtime.AckFunc) {
	reply := func(v any) {
		if ack != nil {
			_ = ack(v) // the buyer may be gone; the order stands either way
		}
	}
	user, ok := userOf(s)
	if !ok {
		reply(ackError{auth.MsgLoginRequired})
		return
	}
	var req buyRequest
	if len(args) == 0 || args.Decode(0, &req) != nil || !req.GoodsID.Set {
		reply(ackError{msgBadBuy})
		return
	}
	quantity := int64(1)
	if req.Quantity.Set {
		quantity = req.Quantity.Value
	}
	ctx, cancel := context.WithTimeout(context.Background(), h.cfg.OrderTimeout)
	defer cancel()
	order, err := h.cfg.Orders.Place(ctx, goods.Buyer{UserID: user.UserID, Nickname: user.Nickname},
		[]goods.Item{{GoodsID: req.GoodsID.Value, Quantity: quantity}})
	if err != nil {
		reply(ackError{h.message(s, err)})
		return
	}
	reply(ackOrder{order})
}

// message is what a refused BUY tells the client: the domain's message, or
// a generic one for a server fault. The details of a fault, and of a
// failure of something the server needs, are logged.
func (h *handler) message(s *realtime.Socket, err error) string {
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind == errs.Internal || e.Kind == errs.Unavailable {
		h.cfg.Logger.Error("BUY failed", "socket", s.ID(), "err", err)
	}
	if e == nil || e.Kind == errs.Internal {
		return msgInternal
	}
	return e.Message
}

// Broadcaster announces recorded orders to every connected client; it is the
// goods.Notifier of the shop.
type Broadcaster struct {
	nsp *realtime.Namespace
	log *slog.Logger
}

// NewBroadcaster returns a Broadcaster emitting on nsp.
func NewBroadcaster(nsp *realtime.Namespace, log *slog.Logger) *Broadcaster {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Broadcaster{nsp: nsp, log: log}
}

// buyGoods is the BUY_GOODS payload; the field order is the wire order.
type buyGoods struct {
	Nickname  string `json:"nickname"`
	GoodsID   int64  `json:"goodsId"`
	GoodsName string `json:"goodsName"`
	Date      string `json:"date"`
}

// dateLayout is ISO-8601 UTC with milliseconds, as JavaScript's
// Date.prototype.toISOString writes it.
const dateLayout = "2006-01-02T15:04:05.000Z"

// OrderPlaced emits BUY_GOODS to everyone, the buyer included.
func (b *Broadcaster) OrderPlaced(_ context.Context, p goods.Purchase) {
	payload, err := json.Marshal(buyGoods{
		Nickname:  p.Nickname,
		GoodsID:   p.GoodsID,
		GoodsName: p.GoodsName,
		Date:      p.Date.UTC().Format(dateLayout),
	})
	if err == nil {
		err = b.nsp.Emit(EventBuyGoods, json.RawMessage(payload))
	}
	if err != nil {
		b.log.Error("BUY_GOODS broadcast failed", "goods", p.GoodsID, "err", err)
	}
}
