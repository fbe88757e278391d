package goods_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/auth"
	"github.com/livebuy/shop/internal/goods"
	"github.com/livebuy/shop/internal/httpapi"
)

var fiveKeys = []string{"category", "goodsId", "name", "price", "thumbnailUrl"}

const (
	formType         = "application/x-www-form-urlencoded"
	msgAlreadyInCart = "이미 장바구니에 해당하는 상품이 존재합니다."
	// msgTooLarge is httpapi's answer to a body over httpapi.MaxBodyBytes.
	msgTooLarge = "요청 본문이 너무 큽니다."
)

// goodsIDs returns the goodsId of each element of a JSON array of goods,
// checking that each has exactly the five keys.
func goodsIDs(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("got %T %v, want a JSON array", v, v)
	}
	ids := make([]string, len(list))
	for i, g := range list {
		k := keys(t, g)
		slices.Sort(k)
		if !slices.Equal(k, fiveKeys) {
			t.Fatalf("goods %d keys: got %v, want %v", i, k, fiveKeys)
		}
		ids[i] = g.(map[string]any)["goodsId"].(json.Number).String()
	}
	return ids
}

func TestGoodsRoutes(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	anon := s.anonymous(t)
	member := s.user(t, "member", "member@shop.test")
	admin := s.user(t, "admin", "ADMIN@shop.test") // admin emails compare case-insensitively

	t.Run("list by category", func(t *testing.T) {
		tests := []struct {
			query string
			want  []string
		}{
			{"", []string{"1", "2", "3", "4", "5", "6", "7", "8"}},
			{"?category=", []string{"1", "2", "3", "4", "5", "6", "7", "8"}},
			{"?category=drink", []string{"1", "2", "3"}},
			{"?category=food", []string{"4", "5", "6"}},
			{"?category=goods", []string{"7", "8"}},
			{"?category=toys", []string{}},
			{"?category[$ne]=x", []string{"1", "2", "3", "4", "5", "6", "7", "8"}},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				body := anon.get("/api/goods"+tt.query).expect(t, http.StatusOK).json(t)
				if k := keys(t, body); !slices.Equal(k, []string{"goods"}) {
					t.Fatalf("got keys %v, want [goods]", k)
				}
				if got := goodsIDs(t, body["goods"]); !slices.Equal(got, tt.want) {
					t.Errorf("got ids %v, want %v", got, tt.want)
				}
			})
		}
	})

	t.Run("get", func(t *testing.T) {
		r := anon.get("/api/goods/5").expect(t, http.StatusOK)
		want := `{"goods":{"goodsId":5,"name":"치즈케이크","price":6200,"thumbnailUrl":"/images/goods/cheesecake.svg","category":"food"}}` + "\n"
		if string(r.body) != want {
			t.Errorf("got %s, want %s", r.body, want)
		}
		anon.get("/api/goods/9999").expectError(t, http.StatusNotFound, "")
		for _, id := range []string{"0", "-1", "abc", "1.5", "1e3", "%201", "99999999999999999999", "9007199254740992"} {
			t.Run(id, func(t *testing.T) {
				anon.get("/api/goods/"+id).expectError(t, http.StatusBadRequest, "")
			})
		}
	})

	t.Run("create needs an admin", func(t *testing.T) {
		body := map[string]any{"name": "권한 테스트", "thumbnailUrl": "/x.svg", "category": "food", "price": 1}
		anon.do(http.MethodPost, "/api/goods", body, "").expectError(t, http.StatusUnauthorized, auth.MsgLoginRequired)
		member.do(http.MethodPost, "/api/goods", body, "").expectError(t, http.StatusForbidden, "")
		forged := &client{t: t, base: s.srv.URL, cookie: "Bearer%20not.a.token"}
		forged.do(http.MethodPost, "/api/goods", body, "").expectError(t, http.StatusUnauthorized, "")
		if got := anon.get("/api/goods").json(t)["goods"].([]any); len(got) != 8 {
			t.Errorf("refused creations changed the catalogue: got %d goods, want 8", len(got))
		}
	})

	t.Run("create", func(t *testing.T) {
		r := admin.do(http.MethodPost, "/api/goods", map[string]any{
			"goodsId": 20, "name": "  초코쿠키 ", "thumbnailUrl": "/images/goods/cookie.svg", "category": "food", "price": 6.2,
		}, "").expect(t, http.StatusCreated)
		want := `{"goods":{"goodsId":20,"name":"초코쿠키","price":6.2,"thumbnailUrl":"/images/goods/cookie.svg","category":"food"}}` + "\n"
		if string(r.body) != want {
			t.Errorf("got %s, want %s", r.body, want)
		}
		// The creating instance sees the new goods at once.
		if got := anon.get("/api/goods/20").expect(t, http.StatusOK).json(t)["goods"].(map[string]any)["price"]; fmt.Sprint(got) != "6.2" {
			t.Errorf("price: got %v, want 6.2", got)
		}
		if got := goodsIDs(t, anon.get("/api/goods?category=food").json(t)["goods"]); !slices.Equal(got, []string{"4", "5", "6", "20"}) {
			t.Errorf("food: got %v, want [4 5 6 20]", got)
		}

		// Without goodsId the next free one is assigned; a form posts
		// numbers as strings.
		form := url.Values{"name": {"머핀"}, "thumbnailUrl": {"https://cdn.example/muffin.png"}, "category": {"food"}, "price": {"4500.50"}, "goodsId": {""}}
		got := admin.do(http.MethodPost, "/api/goods", form.Encode(), formType).expect(t, http.StatusCreated).json(t)["goods"].(map[string]any)
		if fmt.Sprint(got["goodsId"]) != "21" || fmt.Sprint(got["price"]) != "4500.5" {
			t.Errorf("got %v, want goodsId 21 and price 4500.5", got)
		}
	})

	t.Run("create assigns distinct ids under a race", func(t *testing.T) {
		const n = 4
		var wg sync.WaitGroup
		ids := make([]string, n)
		statuses := make([]int, n)
		for i := range n {
			wg.Go(func() {
				c := *admin
				c.t = t
				req := map[string]any{"name": fmt.Sprintf("동시 상품 %d", i), "thumbnailUrl": "/x.svg", "category": "goods", "price": "1"}
				r := c.do(http.MethodPost, "/api/goods", req, "")
				statuses[i] = r.status
				if r.status == http.StatusCreated {
					var body struct{ Goods goods.Goods }
					if err := json.Unmarshal(r.body, &body); err == nil {
						ids[i] = fmt.Sprint(body.Goods.GoodsID)
					}
				}
			})
		}
		wg.Wait()
		for i, st := range statuses {
			if st != http.StatusCreated {
				t.Fatalf("creation %d: got status %d, want 201", i, st)
			}
		}
		slices.Sort(ids)
		if want := []string{"22", "23", "24", "25"}; !slices.Equal(ids, want) {
			t.Errorf("got ids %v, want %v", ids, want)
		}
	})

	t.Run("create conflicts", func(t *testing.T) {
		tests := []struct {
			name string
			body map[string]any
		}{
			{"same goodsId", map[string]any{"goodsId": 1, "name": "새 이름", "thumbnailUrl": "/x.svg", "category": "drink", "price": 1}},
			{"same goodsId as string", map[string]any{"goodsId": "20", "name": "새 이름", "thumbnailUrl": "/x.svg", "category": "drink", "price": 1}},
			{"same name", map[string]any{"goodsId": 30, "name": "아메리카노", "thumbnailUrl": "/x.svg", "category": "drink", "price": 1}},
			{"same name, assigned id", map[string]any{"name": "초코쿠키", "thumbnailUrl": "/x.svg", "category": "drink", "price": 1}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				admin.do(http.MethodPost, "/api/goods", tt.body, "").expectError(t, http.StatusConflict, "")
			})
		}
	})

	t.Run("create refuses invalid fields", func(t *testing.T) {
		valid := func(k string, v any) map[string]any {
			m := map[string]any{"name": "검증 상품", "thumbnailUrl": "/x.svg", "category": "food", "price": 1}
			if v == nil {
				delete(m, k)
			} else {
				m[k] = v
			}
			return m
		}
		tests := []struct {
			name string
			body any
		}{
			{"no name", valid("name", nil)},
			{"blank name", valid("name", "   ")},
			{"long name", valid("name", strings.Repeat("가", 51))},
			{"name operator", valid("name", map[string]any{"$ne": nil})},
			{"no category", valid("category", nil)},
			{"unknown category", valid("category", "toys")},
			{"no thumbnail", valid("thumbnailUrl", nil)},
			{"script thumbnail", valid("thumbnailUrl", "javascript:alert(1)")},
			{"protocol-relative thumbnail", valid("thumbnailUrl", "//evil.example/x.png")},
			{"no price", valid("price", nil)},
			{"zero price", valid("price", 0)},
			{"negative price", valid("price", -6.2)},
			{"price finer than a hundredth", valid("price", 1.005)},
			{"price text", valid("price", "abc")},
			{"price operator", valid("price", map[string]any{"$gt": 0})},
			{"price too large", valid("price", 1e12)},
			{"goodsId zero", valid("goodsId", 0)},
			{"goodsId negative", valid("goodsId", -3)},
			{"goodsId fraction", valid("goodsId", 1.5)},
			{"goodsId text", valid("goodsId", "abc")},
			{"goodsId beyond 2^53", valid("goodsId", "9007199254740992")},
			{"not an object", []int{1}},
			{"broken json", "{"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctype := ""
				if _, ok := tt.body.(string); ok {
					ctype = "application/json"
				}
				admin.do(http.MethodPost, "/api/goods", tt.body, ctype).expectError(t, http.StatusBadRequest, "")
			})
		}
		admin.do(http.MethodPost, "/api/goods", "name=x", "text/plain").expectError(t, http.StatusBadRequest, "")
		if got := anon.get("/api/goods/26"); got.status != http.StatusNotFound {
			t.Errorf("a refused creation stored goods: got status %d, want 404", got.status)
		}
	})
}

func TestCartRoutes(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	anon := s.anonymous(t)

	t.Run("needs a user", func(t *testing.T) {
		for _, rt := range []struct{ method, path string }{
			{http.MethodGet, "/api/goods/cart"},
			{http.MethodPost, "/api/goods/1/cart"},
			{http.MethodPut, "/api/goods/1/cart"},
			{http.MethodDelete, "/api/goods/1/cart"},
		} {
			t.Run(rt.method, func(t *testing.T) {
				anon.do(rt.method, rt.path, map[string]any{"quantity": 1}, "").expectError(t, http.StatusUnauthorized, auth.MsgLoginRequired)
			})
		}
		gone := s.user(t, "gone", "gone@shop.test")
		s.users.mu.Lock()
		delete(s.users.byID, gone.p.UserID)
		s.users.mu.Unlock()
		gone.get("/api/goods/cart").expectError(t, http.StatusUnauthorized, auth.MsgLoginRequired)
	})

	t.Run("add, list, change, remove", func(t *testing.T) {
		u := s.user(t, "buyer", "buyer@shop.test")
		success := `{"result":"success"}` + "\n"
		for _, add := range []struct {
			id    string
			body  any
			ctype string
		}{
			{"5", map[string]any{"quantity": 2}, ""},
			{"1", map[string]any{"quantity": "3"}, ""},
			{"3", "quantity=1", formType},
		} {
			r := u.do(http.MethodPost, "/api/goods/"+add.id+"/cart", add.body, add.ctype).expect(t, http.StatusOK)
			if string(r.body) != success {
				t.Fatalf("add %s: got %s, want %s", add.id, r.body, success)
			}
		}
		cart := func() string {
			t.Helper()
			var body struct {
				Carts []struct {
					Quantity int
					Goods    map[string]any
				}
			}
			r := u.get("/api/goods/cart").expect(t, http.StatusOK)
			if err := json.Unmarshal(r.body, &body); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, c := range body.Carts {
				k := keys(t, c.Goods)
				slices.Sort(k)
				if !slices.Equal(k, fiveKeys) {
					t.Fatalf("goods keys: got %v, want %v", k, fiveKeys)
				}
				fmt.Fprintf(&b, "%v×%d ", c.Goods["goodsId"], c.Quantity)
			}
			return strings.TrimSpace(b.String())
		}
		if got, want := cart(), "5×2 1×3 3×1"; got != want {
			t.Fatalf("cart: got %q, want %q", got, want)
		}
		r := u.get("/api/goods/cart")
		if want := `{"carts":[{"quantity":2,"goods":{"goodsId":5,"name":"치즈케이크","price":6200,"thumbnailUrl":"/images/goods/cheesecake.svg","category":"food"}},`; !strings.HasPrefix(string(r.body), want) {
			t.Errorf("got %s, want it to start with %s", r.body, want)
		}

		// Adding again is refused with the original message; nothing changes.
		u.do(http.MethodPost, "/api/goods/1/cart", map[string]any{"quantity": 9}, "").expectError(t, http.StatusBadRequest, msgAlreadyInCart)
		if got, want := cart(), "5×2 1×3 3×1"; got != want {
			t.Fatalf("after duplicate: got %q, want %q", got, want)
		}

		// PUT changes a line in place and adds an absent one at the end.
		ok := `{"success":true}` + "\n"
		if r := u.do(http.MethodPut, "/api/goods/5/cart", map[string]any{"quantity": "7"}, "").expect(t, http.StatusOK); string(r.body) != ok {
			t.Errorf("put: got %s, want %s", r.body, ok)
		}
		if r := u.do(http.MethodPut, "/api/goods/8/cart", "quantity=99", formType).expect(t, http.StatusOK); string(r.body) != ok {
			t.Errorf("put absent: got %s, want %s", r.body, ok)
		}
		if got, want := cart(), "5×7 1×3 3×1 8×99"; got != want {
			t.Fatalf("after put: got %q, want %q", got, want)
		}

		// DELETE is idempotent.
		for range 2 {
			if r := u.do(http.MethodDelete, "/api/goods/1/cart", nil, "").expect(t, http.StatusOK); string(r.body) != success {
				t.Errorf("delete: got %s, want %s", r.body, success)
			}
		}
		u.do(http.MethodDelete, "/api/goods/9999/cart", nil, "").expect(t, http.StatusOK)
		if got, want := cart(), "5×7 3×1 8×99"; got != want {
			t.Fatalf("after delete: got %q, want %q", got, want)
		}
		// After a delete, adding again works and goes to the end.
		u.do(http.MethodPost, "/api/goods/1/cart", map[string]any{"quantity": 1}, "").expect(t, http.StatusOK)
		if got, want := cart(), "5×7 3×1 8×99 1×1"; got != want {
			t.Fatalf("after re-add: got %q, want %q", got, want)
		}

		// Another user's cart is their own.
		other := s.user(t, "other", "other@shop.test")
		if r := other.get("/api/goods/cart").expect(t, http.StatusOK); string(r.body) != `{"carts":[]}`+"\n" {
			t.Errorf("other user's cart: got %s, want empty", r.body)
		}
	})

	t.Run("unknown goods", func(t *testing.T) {
		u := s.user(t, "lost", "lost@shop.test")
		u.do(http.MethodPost, "/api/goods/9999/cart", map[string]any{"quantity": 1}, "").expectError(t, http.StatusNotFound, "")
		u.do(http.MethodPut, "/api/goods/9999/cart", map[string]any{"quantity": 1}, "").expectError(t, http.StatusNotFound, "")
		if r := u.get("/api/goods/cart"); string(r.body) != `{"carts":[]}`+"\n" {
			t.Errorf("got %s, want an empty cart", r.body)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		u := s.user(t, "typo", "typo@shop.test")
		tests := []struct {
			name, path string
			body       any
			ctype      string
		}{
			{"quantity 0", "/api/goods/1/cart", map[string]any{"quantity": 0}, ""},
			{"quantity 100", "/api/goods/1/cart", map[string]any{"quantity": 100}, ""},
			{"quantity -1", "/api/goods/1/cart", map[string]any{"quantity": -1}, ""},
			{"quantity 1.5", "/api/goods/1/cart", map[string]any{"quantity": 1.5}, ""},
			{"quantity abc", "/api/goods/1/cart", map[string]any{"quantity": "abc"}, ""},
			{"quantity operator", "/api/goods/1/cart", map[string]any{"quantity": map[string]any{"$gt": 0}}, ""},
			{"quantity array", "/api/goods/1/cart", map[string]any{"quantity": []int{1}}, ""},
			{"quantity true", "/api/goods/1/cart", map[string]any{"quantity": true}, ""},
			{"no quantity", "/api/goods/1/cart", map[string]any{}, ""},
			{"empty body", "/api/goods/1/cart", nil, ""},
			{"form 0", "/api/goods/1/cart", "quantity=0", formType},
			{"form 1.5", "/api/goods/1/cart", "quantity=1.5", formType},
			{"form empty", "/api/goods/1/cart", "quantity=", formType},
			{"broken json", "/api/goods/1/cart", `{"quantity":`, "application/json"},
			{"unsupported type", "/api/goods/1/cart", "quantity=1", "text/plain"},
			{"too large", "/api/goods/1/cart", `{"quantity":1,"x":"` + strings.Repeat("a", 70<<10) + `"}`, "application/json"},
			{"goodsId 0", "/api/goods/0/cart", map[string]any{"quantity": 1}, ""},
			{"goodsId text", "/api/goods/abc/cart", map[string]any{"quantity": 1}, ""},
			{"goodsId negative", "/api/goods/-1/cart", map[string]any{"quantity": 1}, ""},
		}
		for _, method := range []string{http.MethodPost, http.MethodPut} {
			for _, tt := range tests {
				t.Run(method+" "+tt.name, func(t *testing.T) {
					u.do(method, tt.path, tt.body, tt.ctype).expectError(t, http.StatusBadRequest, "")
				})
			}
		}
		u.do(http.MethodDelete, "/api/goods/abc/cart", nil, "").expectError(t, http.StatusBadRequest, "")
		if r := u.get("/api/goods/cart"); string(r.body) != `{"carts":[]}`+"\n" {
			t.Errorf("bad input changed the cart: got %s, want it empty", r.body)
		}
	})

	t.Run("body size limit", func(t *testing.T) {
		// form returns a form body of exactly n bytes that is otherwise a
		// valid request for quantity 2.
		form := func(n int) string {
			const head = "quantity=2&pad="
			return head + strings.Repeat("a", n-len(head))
		}
		tests := []struct {
			name, method, body, ctype string
			wantStatus                int
			wantCart                  string
		}{
			{"POST form one byte over", http.MethodPost, form(httpapi.MaxBodyBytes + 1), formType, http.StatusBadRequest, `{"carts":[]}`},
			{"PUT form one byte over", http.MethodPut, form(httpapi.MaxBodyBytes + 1), formType, http.StatusBadRequest, `{"carts":[]}`},
			{"POST form 70 KiB", http.MethodPost, form(70 << 10), formType, http.StatusBadRequest, `{"carts":[]}`},
			{"POST JSON 70 KiB", http.MethodPost, `{"quantity":2,"pad":"` + strings.Repeat("a", 70<<10) + `"}`, "application/json", http.StatusBadRequest, `{"carts":[]}`},
			// At the limit the same body is accepted, so the refusals
			// above are the size's doing.
			{"POST form at the limit", http.MethodPost, form(httpapi.MaxBodyBytes), formType, http.StatusOK, `{"carts":[{"quantity":2,`},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u := s.user(t, fmt.Sprintf("big%d", i), fmt.Sprintf("big%d@shop.test", i))
				r := u.do(tt.method, "/api/goods/1/cart", tt.body, tt.ctype)
				if tt.wantStatus == http.StatusOK {
					r.expect(t, http.StatusOK)
				} else {
					r.expectError(t, tt.wantStatus, msgTooLarge)
				}
				if r := u.get("/api/goods/cart"); !strings.HasPrefix(string(r.body), tt.wantCart) {
					t.Errorf("cart afterwards: got %s, want it to start with %s", r.body, tt.wantCart)
				}
			})
		}
	})
}

// orderView is the JSON of one order.
type orderView struct {
	OrderID string `json:"orderId"`
	Items   []struct {
		GoodsID  int64       `json:"goodsId"`
		Name     string      `json:"name"`
		Price    json.Number `json:"price"`
		Quantity int         `json:"quantity"`
	} `json:"items"`
	Total     json.Number `json:"total"`
	CreatedAt string      `json:"createdAt"`
}

func (o orderView) String() string {
	var b strings.Builder
	for _, it := range o.Items {
		fmt.Fprintf(&b, "%d %s %s×%d; ", it.GoodsID, it.Name, it.Price, it.Quantity)
	}
	fmt.Fprintf(&b, "total %s", o.Total)
	return b.String()
}

func decodeOrder(t *testing.T, r reply) orderView {
	t.Helper()
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body) != 1 || body["order"] == nil {
		t.Fatalf("got %s, want {\"order\":…}", r.body)
	}
	var keys map[string]json.RawMessage
	_ = json.Unmarshal(body["order"], &keys)
	if len(keys) != 4 {
		t.Fatalf("order keys: got %s, want orderId, items, total, createdAt", body["order"])
	}
	var o orderView
	if err := json.Unmarshal(body["order"], &o); err != nil {
		t.Fatal(err)
	}
	return o
}

func (c *client) orders() []orderView {
	c.t.Helper()
	var body struct{ Orders []orderView }
	r := c.get("/api/orders").expect(c.t, http.StatusOK)
	if err := json.Unmarshal(r.body, &body); err != nil {
		c.t.Fatal(err)
	}
	return body.Orders
}

func (c *client) cartText() string {
	c.t.Helper()
	var body struct {
		Carts []struct {
			Quantity int
			Goods    goods.Goods
		}
	}
	r := c.get("/api/goods/cart").expect(c.t, http.StatusOK)
	if err := json.Unmarshal(r.body, &body); err != nil {
		c.t.Fatal(err)
	}
	var parts []string
	for _, l := range body.Carts {
		parts = append(parts, fmt.Sprintf("%d×%d", l.Goods.GoodsID, l.Quantity))
	}
	return strings.Join(parts, " ")
}

func TestOrderRoutes(t *testing.T) {
	t.Parallel()
	s := newShop(t)
	admin := s.user(t, "admin", adminEmail)
	admin.do(http.MethodPost, "/api/goods", map[string]any{
		"goodsId": 20, "name": "초코쿠키", "thumbnailUrl": "/x.svg", "category": "food", "price": "6.2",
	}, "").expect(t, http.StatusCreated)
	admin.do(http.MethodPost, "/api/goods", map[string]any{
		"goodsId": 21, "name": "사탕", "thumbnailUrl": "/x.svg", "category": "food", "price": "0.1",
	}, "").expect(t, http.StatusCreated)
	admin.do(http.MethodPost, "/api/goods", map[string]any{
		"goodsId": 22, "name": "젤리", "thumbnailUrl": "/x.svg", "category": "food", "price": "0.2",
	}, "").expect(t, http.StatusCreated)

	t.Run("needs a user", func(t *testing.T) {
		anon := s.anonymous(t)
		anon.do(http.MethodPost, "/api/orders", map[string]any{"items": []any{map[string]any{"goodsId": 1, "quantity": 1}}}, "").
			expectError(t, http.StatusUnauthorized, auth.MsgLoginRequired)
		anon.get("/api/orders").expectError(t, http.StatusUnauthorized, auth.MsgLoginRequired)
		if got := s.notes.take(); len(got) != 0 {
			t.Errorf("got %d notifications, want none", len(got))
		}
	})

	t.Run("order the cart", func(t *testing.T) {
		u := s.user(t, "cartbuyer", "cartbuyer@shop.test")
		u.do(http.MethodPost, "/api/goods/20/cart", map[string]any{"quantity": 3}, "").expect(t, http.StatusOK)
		u.do(http.MethodPost, "/api/goods/1/cart", map[string]any{"quantity": 2}, "").expect(t, http.StatusOK)
		before := time.Now().UTC().Truncate(time.Millisecond)
		r := u.do(http.MethodPost, "/api/orders", nil, "").expect(t, http.StatusCreated)
		after := time.Now().UTC()
		o := decodeOrder(t, r)
		if got, want := o.String(), "20 초코쿠키 6.2×3; 1 아메리카노 4500×2; total 9018.6"; got != want {
			t.Errorf("order: got %q, want %q", got, want)
		}
		created, err := time.Parse(goods.TimeFormat, o.CreatedAt)
		if err != nil || len(o.CreatedAt) != len("2026-11-21T05:12:34.567Z") {
			t.Fatalf("createdAt: got %q, want ISO-8601 UTC with milliseconds", o.CreatedAt)
		}
		if created.Before(before) || created.After(after) {
			t.Errorf("createdAt: got %v, want between %v and %v", created, before, after)
		}
		if got := u.cartText(); got != "" {
			t.Errorf("cart after ordering it: got %q, want empty", got)
		}
		notes := s.notes.take()
		want := goods.Purchase{Nickname: "cartbuyer", GoodsID: 20, GoodsName: "초코쿠키 외 1개의 상품", Date: created}
		if len(notes) != 1 || notes[0] != want {
			t.Errorf("notifications: got %+v, want exactly [%+v]", notes, want)
		}
		list := u.orders()
		if len(list) != 1 || list[0].OrderID != o.OrderID || list[0].String() != o.String() || list[0].CreatedAt != o.CreatedAt {
			t.Errorf("orders: got %v, want [%v]", list, o)
		}
	})

	t.Run("order the cart from a form", func(t *testing.T) {
		u := s.user(t, "formbuyer", "formbuyer@shop.test")
		u.do(http.MethodPost, "/api/goods/21/cart", "quantity=1", formType).expect(t, http.StatusOK)
		u.do(http.MethodPost, "/api/goods/22/cart", "quantity=1", formType).expect(t, http.StatusOK)
		o := decodeOrder(t, u.do(http.MethodPost, "/api/orders", "", formType).expect(t, http.StatusCreated))
		if got, want := o.Total.String(), "0.3"; got != want {
			t.Errorf("0.1 + 0.2: got %s, want %s", got, want)
		}
		if got := u.cartText(); got != "" {
			t.Errorf("cart: got %q, want empty", got)
		}
		if got := s.notes.take(); len(got) != 1 || got[0].GoodsName != "사탕 외 1개의 상품" {
			t.Errorf("notifications: got %+v, want one for 사탕 외 1개의 상품", got)
		}
	})

	t.Run("order explicit items", func(t *testing.T) {
		u := s.user(t, "itembuyer", "itembuyer@shop.test")
		u.do(http.MethodPost, "/api/goods/7/cart", map[string]any{"quantity": 1}, "").expect(t, http.StatusOK)
		tests := []struct {
			name, want, note string
			body             any
			ctype            string
		}{
			{"one item", "20 초코쿠키 6.2×3; total 18.6", "초코쿠키",
				map[string]any{"items": []any{map[string]any{"goodsId": 20, "quantity": 3}}}, ""},
			{"client price and name ignored", "2 카페라떼 5000×1; total 5000", "카페라떼",
				map[string]any{"items": []any{map[string]any{"goodsId": "2", "quantity": "1", "price": 0.01, "name": "공짜"}}}, ""},
			{"duplicates merged", "1 아메리카노 4500×5; 21 사탕 0.1×3; total 22500.3", "아메리카노 외 1개의 상품",
				map[string]any{"items": []any{map[string]any{"goodsId": 1, "quantity": 2}, map[string]any{"goodsId": 21, "quantity": 3}, map[string]any{"goodsId": 1, "quantity": 3}}}, ""},
			{"form", "8 머그컵 15000×2; 3 녹차라떼 5500×1; 4 크루아상 3800×1; total 39300", "머그컵 외 2개의 상품",
				"items=" + url.QueryEscape(`[{"goodsId":8,"quantity":2},{"goodsId":3,"quantity":"1"},{"goodsId":4,"quantity":1}]`), formType},
			{"bracket-style form", "8 머그컵 15000×2; 3 녹차라떼 5500×1; total 35500", "머그컵 외 1개의 상품",
				"items%5B0%5D%5BgoodsId%5D=8&items%5B0%5D%5Bquantity%5D=2&items%5B1%5D%5BgoodsId%5D=3&items%5B1%5D%5Bquantity%5D=1&items%5B1%5D%5Bprice%5D=1", formType},
			{"one goodsId, as BUY takes it", "4 크루아상 3800×2; total 7600", "크루아상",
				map[string]any{"goodsId": 4, "quantity": "2"}, ""},
			{"one goodsId by form, one by default", "5 치즈케이크 6200×1; total 6200", "치즈케이크", "goodsId=5", formType},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				o := decodeOrder(t, u.do(http.MethodPost, "/api/orders", tt.body, tt.ctype).expect(t, http.StatusCreated))
				if got := o.String(); got != tt.want {
					t.Errorf("got %q, want %q", got, tt.want)
				}
				notes := s.notes.take()
				if len(notes) != 1 || notes[0].GoodsName != tt.note || notes[0].Nickname != "itembuyer" {
					t.Errorf("notifications: got %+v, want one of itembuyer for %q", notes, tt.note)
				}
			})
		}
		if got := u.cartText(); got != "7×1" {
			t.Errorf("ordering items changed the cart: got %q, want 7×1", got)
		}
		// Newest first, and only this user's.
		list := u.orders()
		var got []string
		for _, o := range list {
			got = append(got, o.Total.String())
		}
		if want := []string{"6200", "7600", "35500", "39300", "22500.3", "5000", "18.6"}; !slices.Equal(got, want) {
			t.Errorf("order totals newest first: got %v, want %v", got, want)
		}
	})

	t.Run("refused orders write and announce nothing", func(t *testing.T) {
		u := s.user(t, "refused", "refused@shop.test")
		item := func(id, q any) map[string]any { return map[string]any{"goodsId": id, "quantity": q} }
		tests := []struct {
			name   string
			body   any
			ctype  string
			status int
		}{
			{"empty cart", nil, "", http.StatusBadRequest},
			{"empty items", map[string]any{"items": []any{}}, "", http.StatusBadRequest},
			{"items not a list", map[string]any{"items": 5}, "", http.StatusBadRequest},
			{"items operator", map[string]any{"items": map[string]any{"$ne": nil}}, "", http.StatusBadRequest},
			{"item not an object", map[string]any{"items": []any{1}}, "", http.StatusBadRequest},
			{"no goodsId", map[string]any{"items": []any{map[string]any{"quantity": 1}}}, "", http.StatusBadRequest},
			{"goodsId text", map[string]any{"items": []any{item("abc", 1)}}, "", http.StatusBadRequest},
			{"goodsId 0", map[string]any{"items": []any{item(0, 1)}}, "", http.StatusBadRequest},
			{"quantity 0", map[string]any{"items": []any{item(1, 0)}}, "", http.StatusBadRequest},
			{"quantity 100", map[string]any{"items": []any{item(1, 100)}}, "", http.StatusBadRequest},
			{"quantity 1.5", map[string]any{"items": []any{item(1, 1.5)}}, "", http.StatusBadRequest},
			{"quantity operator", map[string]any{"items": []any{item(1, map[string]any{"$gt": 0})}}, "", http.StatusBadRequest},
			{"merged quantity over 99", map[string]any{"items": []any{item(1, 50), item(1, 50)}}, "", http.StatusBadRequest},
			{"too many lines", map[string]any{"items": manyItems(goods.MaxOrderLines + 1)}, "", http.StatusBadRequest},
			{"form items broken", "items=%5B%7B", formType, http.StatusBadRequest},
			{"broken json", `{"items":[`, "application/json", http.StatusBadRequest},
			{"unknown goods", map[string]any{"items": []any{item(1, 1), item(9999, 1)}}, "", http.StatusNotFound},
			{"only unknown goods", map[string]any{"items": []any{item(9999, 1)}}, "", http.StatusNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u.do(http.MethodPost, "/api/orders", tt.body, tt.ctype).expectError(t, tt.status, "")
			})
		}
		if got := u.orders(); len(got) != 0 {
			t.Errorf("got %d orders, want none", len(got))
		}
		if got := s.notes.take(); len(got) != 0 {
			t.Errorf("got notifications %+v, want none", got)
		}
	})

	t.Run("orders that name their items ambiguously are refused, not the cart", func(t *testing.T) {
		u := s.user(t, "ambiguous", "ambiguous@shop.test")
		u.do(http.MethodPost, "/api/goods/7/cart", map[string]any{"quantity": 1}, "").expect(t, http.StatusOK)
		bracket := func(fields ...string) string { // pairs of "i][name" and value
			v := url.Values{}
			for i := 0; i+1 < len(fields); i += 2 {
				v.Add("items["+fields[i]+"]", fields[i+1])
			}
			return v.Encode()
		}
		tests := []struct {
			name  string
			body  any
			ctype string
		}{
			{"items and goodsId", map[string]any{"items": []any{map[string]any{"goodsId": 1, "quantity": 1}}, "goodsId": 2}, ""},
			{"bracket items and goodsId", bracket("0][goodsId", "1") + "&goodsId=2", formType},
			{"bracket items and items", bracket("0][goodsId", "1") + "&items=" + url.QueryEscape(`[{"goodsId":2,"quantity":1}]`), formType},
			{"quantity without goods", map[string]any{"quantity": 2}, ""},
			{"quantity without goods by form", "quantity=2", formType},
			{"bracket index gap", bracket("1][goodsId", "1", "1][quantity", "1"), formType},
			{"bracket index not a number", bracket("a][goodsId", "1"), formType},
			{"bracket field twice", bracket("0][goodsId", "1", "0][goodsId", "2"), formType},
			{"bracket without goodsId", bracket("0][quantity", "1"), formType},
			{"bracket nested too deep", bracket("0][goodsId][x", "1"), formType},
			{"goodsId operator", map[string]any{"goodsId": map[string]any{"$gt": 0}}, ""},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				u.do(http.MethodPost, "/api/orders", tt.body, tt.ctype).expectError(t, http.StatusBadRequest, "")
			})
		}
		if got := u.cartText(); got != "7×1" {
			t.Errorf("cart: got %q, want 7×1 untouched", got)
		}
		if got := u.orders(); len(got) != 0 {
			t.Errorf("got %d orders, want none", len(got))
		}
		if got := s.notes.take(); len(got) != 0 {
			t.Errorf("got notifications %+v, want none", got)
		}
	})

	t.Run("a failed write announces nothing and keeps the cart", func(t *testing.T) {
		u := s.user(t, "unlucky", "unlucky@shop.test")
		u.do(http.MethodPost, "/api/goods/5/cart", map[string]any{"quantity": 1}, "").expect(t, http.StatusOK)
		s.store.setFailOrders(true)
		t.Cleanup(func() { s.store.setFailOrders(false) })
		r := u.do(http.MethodPost, "/api/orders", nil, "")
		r.expectError(t, http.StatusServiceUnavailable, "주문을 저장하지 못했습니다. 잠시 후 다시 시도해 주세요.")
		if strings.Contains(string(r.body), "injected") {
			t.Errorf("the cause leaked to the client: %s", r.body)
		}
		_, err := s.orders.Place(t.Context(), goods.Buyer{UserID: u.p.UserID, Nickname: "unlucky"}, []goods.Item{{GoodsID: 1, Quantity: 1}})
		if err == nil || !strings.Contains(err.Error(), "주문을 저장하지 못했습니다") {
			t.Errorf("Place: got %v, want the readable storage failure", err)
		}
		if got := s.notes.take(); len(got) != 0 {
			t.Errorf("got notifications %+v, want none", got)
		}
		if got := u.cartText(); got != "5×1" {
			t.Errorf("cart: got %q, want 5×1", got)
		}
		s.store.setFailOrders(false)
		if got := u.orders(); len(got) != 0 {
			t.Errorf("got %d orders, want none", len(got))
		}
	})
}

func manyItems(n int) []any {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"goodsId": i + 1, "quantity": 1}
	}
	return items
}
