package goods

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/livebuy/shop/internal/auth"
	"github.com/livebuy/shop/internal/errs"
	"github.com/livebuy/shop/internal/httpapi"
)

// HandlerConfig configures a Handler.
type HandlerConfig struct {
	Catalog *Catalog
	Carts   *CartService
	Orders  *OrderService
	// AdminEmails lists the users who may create goods.
	AdminEmails []string
	// Logger receives the details of server faults; nil discards.
	Logger *slog.Logger
}

// Handler serves the goods, cart and order routes of CONTRACT.md. It reads
// the user from auth.FromContext, so the router must run
// auth.Authenticator.Middleware before it.
type Handler struct {
	catalog *Catalog
	carts   *CartService
	orders  *OrderService
	admins  []string
	log     *slog.Logger
}

// NewHandler returns a Handler configured by c.
func NewHandler(c HandlerConfig) *Handler {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{catalog: c.Catalog, carts: c.Carts, orders: c.Orders, admins: c.AdminEmails, log: c.Logger}
}

// Routes registers the routes on r under their full paths. chi matches a
// static segment before a parameter, so /api/goods/cart is the cart, never
// goods number "cart".
func (h *Handler) Routes(r chi.Router) {
	r.Get("/api/goods", h.listGoods)
	r.Get("/api/goods/{goodsId}", h.getGoods)
	r.With(auth.RequireAdmin(h.admins)).Post("/api/goods", h.createGoods)

	r.Group(func(r chi.Router) {
		r.Use(auth.Required)
		r.Get("/api/goods/cart", h.listCart)
		r.Post("/api/goods/{goodsId}/cart", h.addToCart)
		r.Put("/api/goods/{goodsId}/cart", h.setInCart)
		r.Delete("/api/goods/{goodsId}/cart", h.removeFromCart)
		r.Post("/api/orders", h.placeOrder)
		r.Get("/api/orders", h.listOrders)
	})
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	httpapi.Error(w, r, h.log, err)
}

func (h *Handler) listGoods(w http.ResponseWriter, r *http.Request) {
	list, err := h.catalog.List(r.Context(), r.URL.Query().Get("category"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string][]Goods{"goods": list})
}

func (h *Handler) getGoods(w http.ResponseWriter, r *http.Request) {
	id, err := goodsIDParam(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	g, err := h.catalog.Get(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]Goods{"goods": g})
}

// createRequest holds POST /api/goods. Numeric fields are kept raw so that
// a JSON number and a form string are parsed by the same rules, and a bad
// value gets a message naming the field.
type createRequest struct {
	GoodsID      json.RawMessage `json:"goodsId"`
	Name         string          `json:"name"`
	ThumbnailURL string          `json:"thumbnailUrl"`
	Category     string          `json:"category"`
	Price        json.RawMessage `json:"price"`
}

func (h *Handler) createGoods(w http.ResponseWriter, r *http.Request) {
	var req createRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	g := Goods{Name: req.Name, ThumbnailURL: req.ThumbnailURL, Category: req.Category}
	if !absent(req.GoodsID) {
		var id httpapi.Int
		if err := id.UnmarshalJSON(req.GoodsID); err != nil || !ValidGoodsID(id.Value) {
			h.fail(w, r, errs.E(errs.Invalid, msgBadGoodsID))
			return
		}
		g.GoodsID = id.Value
	}
	if absent(req.Price) || g.Price.UnmarshalJSON(req.Price) != nil {
		h.fail(w, r, errs.E(errs.Invalid, msgBadPrice))
		return
	}
	created, err := h.catalog.Create(r.Context(), g)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusCreated, map[string]Goods{"goods": created})
}

func (h *Handler) listCart(w http.ResponseWriter, r *http.Request) {
	items, err := h.carts.List(r.Context(), userID(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string][]CartItem{"carts": items})
}

// quantityRequest holds the body of the cart routes.
type quantityRequest struct {
	Quantity json.RawMessage `json:"quantity"`
}

// decodeLine reads the path's goods id and the body's quantity.
func decodeLine(w http.ResponseWriter, r *http.Request) (goodsID, quantity int64, err error) {
	if goodsID, err = goodsIDParam(r); err != nil {
		return 0, 0, err
	}
	var req quantityRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		return 0, 0, err
	}
	q, ok := parseQuantity(req.Quantity)
	if !ok {
		return 0, 0, errs.E(errs.Invalid, msgBadQuantity)
	}
	return goodsID, q, nil
}

func (h *Handler) addToCart(w http.ResponseWriter, r *http.Request) {
	id, q, err := decodeLine(w, r)
	if err == nil {
		err = h.carts.Add(r.Context(), userID(r), id, q)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"result": "success"})
}

func (h *Handler) setInCart(w http.ResponseWriter, r *http.Request) {
	id, q, err := decodeLine(w, r)
	if err == nil {
		err = h.carts.Set(r.Context(), userID(r), id, q)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (h *Handler) removeFromCart(w http.ResponseWriter, r *http.Request) {
	id, err := goodsIDParam(r)
	if err == nil {
		err = h.carts.Remove(r.Context(), userID(r), id)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string]string{"result": "success"})
}

// orderRequest holds POST /api/orders: items, or one goodsId (with an
// optional quantity, 1 by default) as BUY takes it, or neither for the
// whole cart. A form may also give the items in the bracket style of
// jQuery and Express (items[0][goodsId]=1&items[0][quantity]=2).
type orderRequest struct {
	Items    json.RawMessage `json:"items"`
	GoodsID  json.RawMessage `json:"goodsId"`
	Quantity json.RawMessage `json:"quantity"`
}

type orderItemRequest struct {
	GoodsID  json.RawMessage `json:"goodsId"`
	Quantity json.RawMessage `json:"quantity"`
}

func (h *Handler) placeOrder(w http.ResponseWriter, r *http.Request) {
	var req orderRequest
	if err := httpapi.Decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	items, err := orderItems(req, r.PostForm)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, _ := auth.FromContext(r.Context())
	order, err := h.orders.Place(r.Context(), Buyer{UserID: p.UserID, Nickname: p.Nickname}, items)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpapi.WriteJSON(w, http.StatusCreated, map[string]Order{"order": order})
}

// orderItems returns the items req asks for, nil for the whole cart. form
// is the request's parsed form body, nil for JSON. A request that names
// items in two ways, or gives a quantity without goods, is refused rather
// than guessed at: ordering the cart instead would buy what was not asked.
func orderItems(req orderRequest, form url.Values) ([]Item, error) {
	bracketed, err := formItems(form)
	if err != nil {
		return nil, err
	}
	ways := 0
	for _, given := range []bool{!absent(req.Items), bracketed != nil, !absent(req.GoodsID)} {
		if given {
			ways++
		}
	}
	switch {
	case ways > 1:
		return nil, errs.E(errs.Invalid, msgBadItems)
	case bracketed != nil:
		return parseItems(bracketed)
	case !absent(req.GoodsID):
		quantity := req.Quantity
		if absent(quantity) {
			quantity = json.RawMessage("1")
		}
		one, err := json.Marshal([]orderItemRequest{{GoodsID: req.GoodsID, Quantity: quantity}})
		if err != nil {
			return nil, &errs.Error{Kind: errs.Invalid, Message: msgBadItems, Err: err}
		}
		return parseItems(one)
	case !absent(req.Quantity):
		return nil, errs.E(errs.Invalid, msgBadGoodsID)
	}
	return parseItems(req.Items)
}

// formItemKey matches the form fields of bracket-style items.
var formItemKey = regexp.MustCompile(`^items\[(\d{1,3})\]\[(\w+)\]$`)

// formItems turns the bracket-style item fields of a form into the JSON of
// an items list; nil when the form has none. Other item fields, such as a
// price, are ignored as they are in JSON; a malformed one is refused.
func formItems(form url.Values) (json.RawMessage, error) {
	var byIndex map[int]map[string]string
	for key, vals := range form {
		if !strings.HasPrefix(key, "items[") {
			continue
		}
		m := formItemKey.FindStringSubmatch(key)
		if m == nil || len(vals) != 1 {
			return nil, errs.E(errs.Invalid, msgBadItems)
		}
		i, _ := strconv.Atoi(m[1]) // at most 3 digits
		if byIndex == nil {
			byIndex = make(map[int]map[string]string)
		}
		if byIndex[i] == nil {
			byIndex[i] = make(map[string]string)
		}
		byIndex[i][m[2]] = vals[0]
	}
	if byIndex == nil {
		return nil, nil
	}
	list := make([]orderItemRequest, len(byIndex))
	for i := range list {
		fields, ok := byIndex[i]
		if !ok {
			return nil, errs.E(errs.Invalid, msgBadItems) // the indexes must run from 0 without a gap
		}
		for name, v := range map[string]*json.RawMessage{"goodsId": &list[i].GoodsID, "quantity": &list[i].Quantity} {
			if s, ok := fields[name]; ok {
				*v, _ = json.Marshal(s) // a string never fails
			}
		}
	}
	raw, err := json.Marshal(list)
	if err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Message: msgBadItems, Err: err}
	}
	return raw, nil
}

func (h *Handler) listOrders(w http.ResponseWriter, r *http.Request) {
	list, err := h.orders.List(r.Context(), userID(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if list == nil {
		list = []Order{}
	}
	httpapi.WriteJSON(w, http.StatusOK, map[string][]Order{"orders": list})
}

// parseItems reads the items of an order request: nil when absent (order
// the cart), else one Item per element. A form sends items as a JSON string
// of the array, which is unwrapped first.
func parseItems(raw json.RawMessage) ([]Item, error) {
	if absent(raw) {
		return nil, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errs.E(errs.Invalid, msgBadItems)
		}
		raw = json.RawMessage(s)
		if absent(raw) {
			return nil, nil
		}
	}
	var reqs []orderItemRequest
	if err := json.Unmarshal(raw, &reqs); err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Message: msgBadItems, Err: err}
	}
	items := make([]Item, len(reqs))
	for i, it := range reqs {
		var id httpapi.Int
		if err := id.UnmarshalJSON(it.GoodsID); err != nil || !id.Set || !ValidGoodsID(id.Value) {
			return nil, errs.E(errs.Invalid, msgBadGoodsID)
		}
		q, ok := parseQuantity(it.Quantity)
		if !ok {
			return nil, errs.E(errs.Invalid, msgBadQuantity)
		}
		items[i] = Item{GoodsID: id.Value, Quantity: q}
	}
	return items, nil
}

const msgBadItems = "주문 상품 목록의 형식이 올바르지 않습니다."

// parseQuantity reads a quantity sent as a number or a string of digits.
func parseQuantity(raw json.RawMessage) (int64, bool) {
	var q httpapi.Int
	if absent(raw) || q.UnmarshalJSON(raw) != nil || !ValidQuantity(q.Value) {
		return 0, false
	}
	return q.Value, true
}

// absent reports whether a raw field was missing, null, or an empty string
// (an empty form field).
func absent(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null" || string(raw) == `""`
}

// goodsIDParam reads the goodsId path segment: decimal digits naming a
// positive id.
func goodsIDParam(r *http.Request) (int64, error) {
	s := chi.URLParam(r, "goodsId")
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, errs.E(errs.Invalid, msgBadGoodsID)
		}
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || !ValidGoodsID(id) {
		return 0, errs.E(errs.Invalid, msgBadGoodsID)
	}
	return id, nil
}

// userID is the signed-in user's id; auth.Required guarantees one.
func userID(r *http.Request) string {
	p, _ := auth.FromContext(r.Context())
	return p.UserID
}
