package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/golang-jwt/jwt/v5"
)

// The messages CONTRACT.md fixes, written out rather than taken from the
// packages' constants, so that a change of wording fails here.
const (
	msgLoginRequired  = "로그인 후 이용 가능한 기능입니다."
	msgMismatch       = "패스워드가 패스워드 확인란과 다릅니다."
	msgTaken          = "이메일 또는 닉네임이 이미 사용중입니다."
	msgBadCredentials = "이메일 또는 패스워드가 틀렸습니다."
	msgAlreadyInCart  = "이미 장바구니에 해당하는 상품이 존재합니다."
)

const (
	contractSecret   = "a-contract-secret-long-enough-for-hs256"
	contractPassword = "pass-word-1"
	jsonUTF8         = "application/json; charset=utf-8"
)

// tap is a client transport that keeps the headers and the raw body of the
// last answer, so that rows can check what shopClient.do does not return.
type tap struct {
	mu     sync.Mutex
	header http.Header
	raw    []byte
}

func (p *tap) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", req.Method, req.URL.Path, err)
	}
	res.Body = io.NopCloser(bytes.NewReader(raw))
	p.mu.Lock()
	p.header, p.raw = res.Header.Clone(), raw
	p.mu.Unlock()
	return res, nil
}

func (p *tap) last() (http.Header, []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.header, p.raw
}

// newTappedClient is newShopClient whose answers can be inspected by call.
func newTappedClient(t *testing.T, base string) *shopClient {
	c := newShopClient(t, base)
	c.http.Transport = &tap{}
	return c
}

// in returns c reporting to t, with the same cookies.
func (c *shopClient) in(t *testing.T) *shopClient {
	cc := *c
	cc.t = t
	return &cc
}

// answer is one API answer; body is decoded with json.Number, so that money
// is compared as the text the shop wrote.
type answer struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// call sends a request as do does and checks what every API answer must be:
// application/json; charset=utf-8, and for an error exactly
// {"errorMessage": <readable text>}.
func (c *shopClient) call(method, path string, body any, header ...string) answer {
	c.t.Helper()
	status, _ := c.do(method, path, body, header...)
	h, raw := c.http.Transport.(*tap).last()
	a := answer{status: status, header: h, raw: raw}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&a.body); err != nil {
		c.t.Fatalf("%s %s: got body %q, want a JSON object", method, path, raw)
	}
	if got := h.Get("Content-Type"); got != jsonUTF8 {
		c.t.Errorf("%s %s: got Content-Type %q, want %q", method, path, got, jsonUTF8)
	}
	if status >= 400 {
		msg, ok := a.body["errorMessage"].(string)
		if len(a.body) != 1 || !ok {
			c.t.Errorf("%s %s: got error body %s, want exactly {\"errorMessage\": \"…\"}", method, path, raw)
		} else if !readable(msg) {
			c.t.Errorf("%s %s: got errorMessage %q, want Korean text a person can read", method, path, msg)
		}
	}
	return a
}

// readable reports whether msg is a message for a person: Korean text, not
// an internal error string.
func readable(msg string) bool {
	lower := strings.ToLower(msg)
	for _, internal := range []string{"mongo", "bson", "json", "e11000", "error", "err:", "panic", "runtime", "sql", "%!", "\n"} {
		if strings.Contains(lower, internal) {
			return false
		}
	}
	return strings.IndexFunc(msg, func(r rune) bool { return unicode.Is(unicode.Hangul, r) }) >= 0
}

// member signs up a user and logs it in, returning its client and token.
func member(t *testing.T, base, email, nickname string) (*shopClient, string) {
	t.Helper()
	c := newTappedClient(t, base)
	form := url.Values{"email": {email}, "nickname": {nickname}, "password": {contractPassword}, "confirmPassword": {contractPassword}}
	if status, body := c.do("POST", "/api/users", form); status != 201 {
		t.Fatalf("sign up %s: got %d %v, want 201", email, status, body)
	}
	status, body := c.do("POST", "/api/auth", url.Values{"email": {email}, "password": {contractPassword}})
	token, _ := body["token"].(string)
	if status != 200 || token == "" {
		t.Fatalf("log in %s: got %d %v, want 200 with a token", email, status, body)
	}
	return c, token
}

// signToken signs claims with the shop's secret using method.
func signToken(t *testing.T, method jwt.SigningMethod, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString([]byte(contractSecret))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// userIDOf reads the userId claim of a token the shop issued.
func userIDOf(t *testing.T, token string) string {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		t.Fatal(err)
	}
	id, _ := claims["userId"].(string)
	if id == "" {
		t.Fatalf("token claims %v: want a userId", claims)
	}
	return id
}

// goodsWant is goods as the API must render them; numbers are the JSON text.
type goodsWant struct{ id, name, price, thumb, category string }

// checkGoods checks that v is goods with exactly the five keys and w's values.
func checkGoods(t *testing.T, where string, v any, w goodsWant) {
	t.Helper()
	m, _ := v.(map[string]any)
	keys := sortedKeys(m)
	if want := []string{"category", "goodsId", "name", "price", "thumbnailUrl"}; !slices.Equal(keys, want) {
		t.Errorf("%s: got keys %v, want exactly %v", where, keys, want)
	}
	id, idNum := m["goodsId"].(json.Number)
	price, priceNum := m["price"].(json.Number)
	got := goodsWant{string(id), str(m["name"]), string(price), str(m["thumbnailUrl"]), str(m["category"])}
	if !idNum || !priceNum || got != w {
		t.Errorf("%s: got %v, want %+v with goodsId and price as JSON numbers", where, m, w)
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func str(v any) string { s, _ := v.(string); return s }

func list(v any) []any { l, _ := v.([]any); return l }

func object(v any) map[string]any { m, _ := v.(map[string]any); return m }

// checkRaw returns a check that the body is exactly want (and a newline).
func checkRaw(want string) func(*testing.T, answer) {
	return func(t *testing.T, a answer) {
		t.Helper()
		if got := strings.TrimSpace(string(a.raw)); got != want {
			t.Errorf("got body %s, want %s", got, want)
		}
	}
}

// checkGoodsList returns a check of {"goods":[…]} holding exactly want, in order.
func checkGoodsList(want []goodsWant) func(*testing.T, answer) {
	return func(t *testing.T, a answer) {
		t.Helper()
		if len(a.body) != 1 || a.body["goods"] == nil {
			t.Fatalf("got %s, want {\"goods\":[…]}", a.raw)
		}
		got := list(a.body["goods"])
		if got == nil || len(got) != len(want) {
			t.Fatalf("got %d goods (%s), want %d", len(got), a.raw, len(want))
		}
		for i, g := range got {
			checkGoods(t, fmt.Sprintf("goods[%d]", i), g, want[i])
		}
	}
}

// cartLine is a cart line as the API must render it.
type cartLine struct {
	quantity string
	goods    goodsWant
}

// checkCart returns a check of {"carts":[…]} holding exactly want, in order.
func checkCart(want ...cartLine) func(*testing.T, answer) {
	return func(t *testing.T, a answer) {
		t.Helper()
		got := list(a.body["carts"])
		if len(a.body) != 1 || got == nil || len(got) != len(want) {
			t.Fatalf("got %s, want {\"carts\":[…]} with %d lines", a.raw, len(want))
		}
		for i, v := range got {
			line := object(v)
			if keys := sortedKeys(line); !slices.Equal(keys, []string{"goods", "quantity"}) {
				t.Errorf("carts[%d]: got keys %v, want exactly goods, quantity", i, keys)
			}
			if q, _ := line["quantity"].(json.Number); string(q) != want[i].quantity {
				t.Errorf("carts[%d]: got quantity %v, want %s", i, line["quantity"], want[i].quantity)
			}
			checkGoods(t, fmt.Sprintf("carts[%d].goods", i), line["goods"], want[i].goods)
		}
	}
}

// orderLine is an order line as the API must render it.
type orderLine struct{ goodsID, name, price, quantity string }

// checkOrder checks {"order":{orderId, items, total, createdAt}} and
// returns the order's id.
func checkOrder(t *testing.T, a answer, total string, want ...orderLine) string {
	t.Helper()
	o := object(a.body["order"])
	if len(a.body) != 1 || o == nil {
		t.Fatalf("got %s, want {\"order\":{…}}", a.raw)
	}
	if keys := sortedKeys(o); !slices.Equal(keys, []string{"createdAt", "items", "orderId", "total"}) {
		t.Errorf("order: got keys %v, want exactly createdAt, items, orderId, total", keys)
	}
	id := str(o["orderId"])
	if id == "" {
		t.Errorf("order: got orderId %v, want a non-empty string", o["orderId"])
	}
	if _, err := time.Parse(time.RFC3339Nano, str(o["createdAt"])); err != nil {
		t.Errorf("order: got createdAt %v, want an ISO-8601 time: %v", o["createdAt"], err)
	}
	if got, _ := o["total"].(json.Number); string(got) != total {
		t.Errorf("order: got total %v, want the JSON number %s", o["total"], total)
	}
	items := list(o["items"])
	if len(items) != len(want) {
		t.Fatalf("order: got items %v, want %d", o["items"], len(want))
	}
	for i, v := range items {
		it := object(v)
		if keys := sortedKeys(it); !slices.Equal(keys, []string{"goodsId", "name", "price", "quantity"}) {
			t.Errorf("items[%d]: got keys %v, want exactly goodsId, name, price, quantity", i, keys)
		}
		gid, _ := it["goodsId"].(json.Number)
		price, _ := it["price"].(json.Number)
		q, _ := it["quantity"].(json.Number)
		if got := (orderLine{string(gid), str(it["name"]), string(price), string(q)}); got != want[i] {
			t.Errorf("items[%d]: got %v, want %+v", i, it, want[i])
		}
	}
	return id
}

// contractRow is one request of CONTRACT.md's routes table and what must
// come back.
type contractRow struct {
	name   string
	c      *shopClient
	method string
	path   string
	body   any // a JSON string or url.Values
	header []string
	status int
	msg    string // the exact errorMessage, where the contract fixes it
	// unchanged are GET paths whose answers the request must not change:
	// a refusal writes nothing.
	unchanged []string
	check     func(t *testing.T, a answer)
}

// TestContract sends every request of CONTRACT.md's routes table, each
// success and each listed error, through the real router and the embedded
// database, and checks the status, the shape and, where the contract fixes
// it, the exact message. Rows run in order: a row may rely on the writes of
// the rows before it for the same user.
func TestContract(t *testing.T) {
	base, _ := startShop(t, "-jwt-secret", contractSecret, "-admin-emails", "admin@example.com")

	seed := []goodsWant{
		{"1", "아메리카노", "4500", "/images/goods/americano.svg", "drink"},
		{"2", "카페라떼", "5000", "/images/goods/latte.svg", "drink"},
		{"3", "녹차라떼", "5500", "/images/goods/greentea.svg", "drink"},
		{"4", "크루아상", "3800", "/images/goods/croissant.svg", "food"},
		{"5", "치즈케이크", "6200", "/images/goods/cheesecake.svg", "food"},
		{"6", "샌드위치", "7900", "/images/goods/sandwich.svg", "food"},
		{"7", "텀블러", "22000", "/images/goods/tumbler.svg", "goods"},
		{"8", "머그컵", "15000", "/images/goods/mug.svg", "goods"},
	}
	madeleine := goodsWant{"101", "레몬 마들렌", "6.2", "/images/goods/croissant.svg", "food"}
	herbTea := goodsWant{"103", "허브티", "1.1", "/images/goods/greentea.svg", "drink"}

	anon := newTappedClient(t, base)
	admin, _ := member(t, base, "admin@example.com", "admin1")
	plain, _ := member(t, base, "plain@example.com", "plain1")
	me, meToken := member(t, base, "me@example.com", "meuser1")
	carter, _ := member(t, base, "cart@example.com", "carter1")
	buyer, _ := member(t, base, "buyer@example.com", "buyer1")
	signUpC := newTappedClient(t, base)
	loginC := newTappedClient(t, base)
	if status, body := loginC.do("POST", "/api/users", url.Values{"email": {"login@example.com"}, "nickname": {"login1"}, "password": {contractPassword}, "confirmPassword": {contractPassword}}); status != 201 {
		t.Fatalf("sign up login@example.com: got %d %v, want 201", status, body)
	}

	now := time.Now()
	meID := userIDOf(t, meToken)
	expired := signToken(t, jwt.SigningMethodHS256, jwt.MapClaims{"userId": meID, "iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()})
	hs384 := signToken(t, jwt.SigningMethodHS384, jwt.MapClaims{"userId": meID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	// The same claims in HS256: accepted, so the refusals above are for
	// the expiry and the algorithm, not for a flaw of the test's signing.
	hs256 := signToken(t, jwt.SigningMethodHS256, jwt.MapClaims{"userId": meID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	noUser := signToken(t, jwt.SigningMethodHS256, jwt.MapClaims{"userId": "0123456789abcdef01234567", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})

	signUp := func(email, nickname, password, confirm string) string {
		b, _ := json.Marshal(map[string]string{"email": email, "nickname": nickname, "password": password, "confirmPassword": confirm})
		return string(b)
	}
	// signsUpAgain checks that a refused sign-up wrote nothing: the same
	// email then signs up with valid fields.
	signsUpAgain := func(email, nickname string) func(*testing.T, answer) {
		return func(t *testing.T, _ answer) {
			if status, body := signUpC.in(t).do("POST", "/api/users", signUp(email, nickname, contractPassword, contractPassword)); status != 201 {
				t.Errorf("signing up %s after the refusal: got %d %v, want 201", email, status, body)
			}
		}
	}
	meIs := func(email, nickname string) func(*testing.T, answer) {
		return func(t *testing.T, a answer) {
			u := object(a.body["user"])
			if len(a.body) != 1 || !slices.Equal(sortedKeys(u), []string{"email", "nickname"}) || u["email"] != email || u["nickname"] != nickname {
				t.Errorf("got %s, want {\"user\":{\"email\":%q,\"nickname\":%q}} and nothing else", a.raw, email, nickname)
			}
		}
	}
	// cookieOf returns the Authorization cookie an answer sets.
	cookieOf := func(t *testing.T, a answer) *http.Cookie {
		t.Helper()
		for _, ck := range (&http.Response{Header: a.header}).Cookies() {
			if ck.Name == "Authorization" {
				return ck
			}
		}
		t.Fatalf("got Set-Cookie %q, want an Authorization cookie", a.header.Values("Set-Cookie"))
		return nil
	}
	byCategory := func(cat string) []goodsWant {
		var out []goodsWant
		for _, g := range seed {
			if g.category == cat {
				out = append(out, g)
			}
		}
		return out
	}
	var orderIDs []string // of buyer's orders, oldest first
	newGoods := func(fields string) string {
		return `{"thumbnailUrl":"/images/goods/mug.svg","category":"goods",` + fields + `}`
	}

	rows := []contractRow{
		// POST /api/users
		{name: "POST /api/users", c: signUpC, method: "POST", path: "/api/users", body: signUp("Taken@Example.com", "taken1", contractPassword, contractPassword), status: 201, check: checkRaw(`{}`)},
		{name: "POST /api/users mismatch", c: signUpC, method: "POST", path: "/api/users", body: signUp("mismatch@example.com", "mismatch1", contractPassword, contractPassword+"x"), status: 400, msg: msgMismatch, check: signsUpAgain("mismatch@example.com", "mismatch1")},
		{name: "POST /api/users email taken in another case", c: signUpC, method: "POST", path: "/api/users", body: signUp("tAKEN@example.COM", "other1", contractPassword, contractPassword), status: 400, msg: msgTaken},
		{name: "POST /api/users nickname taken", c: signUpC, method: "POST", path: "/api/users", body: signUp("other@example.com", "taken1", contractPassword, contractPassword), status: 400, msg: msgTaken},
		{name: "POST /api/users malformed email", c: signUpC, method: "POST", path: "/api/users", body: signUp("not-an-email", "mailer1", contractPassword, contractPassword), status: 400},
		{name: "POST /api/users nickname of 1 character", c: signUpC, method: "POST", path: "/api/users", body: signUp("nick1@example.com", "a", contractPassword, contractPassword), status: 400},
		{name: "POST /api/users nickname of 21 characters", c: signUpC, method: "POST", path: "/api/users", body: signUp("nick21@example.com", strings.Repeat("a", 21), contractPassword, contractPassword), status: 400},
		{name: "POST /api/users nickname with symbols", c: signUpC, method: "POST", path: "/api/users", body: signUp("nicksym@example.com", "ab!cd", contractPassword, contractPassword), status: 400},
		{name: "POST /api/users password of 7 characters", c: signUpC, method: "POST", path: "/api/users", body: signUp("short@example.com", "short1", "abc-123", "abc-123"), status: 400},
		{name: "POST /api/users password containing the nickname", c: signUpC, method: "POST", path: "/api/users", body: signUp("pianist@example.com", "pianist9", "my-pianist9-pw", "my-pianist9-pw"), status: 400},
		{name: "POST /api/users form", c: signUpC, method: "POST", path: "/api/users", body: url.Values{"email": {"form@example.com"}, "nickname": {"former1"}, "password": {contractPassword}, "confirmPassword": {contractPassword}}, status: 201, check: checkRaw(`{}`)},
		{name: "POST /api/users operator object as nickname", c: signUpC, method: "POST", path: "/api/users", body: `{"email":"op1@example.com","nickname":{"$gt":""},"password":"pass-word-1","confirmPassword":"pass-word-1"}`, status: 400, check: signsUpAgain("op1@example.com", "operator1")},
		{name: "POST /api/users operator object as email", c: signUpC, method: "POST", path: "/api/users", body: `{"email":{"$ne":null},"nickname":"operator2","password":"pass-word-1","confirmPassword":"pass-word-1"}`, status: 400, check: signsUpAgain("op2@example.com", "operator2")},

		// POST and DELETE /api/auth
		{name: "POST /api/auth", c: loginC, method: "POST", path: "/api/auth", body: `{"email":"login@example.com","password":"pass-word-1"}`, status: 200, check: func(t *testing.T, a answer) {
			tok := str(a.body["token"])
			if len(a.body) != 1 || tok == "" {
				t.Fatalf("got %s, want {\"token\": …}", a.raw)
			}
			ck := cookieOf(t, a)
			if want := "Bearer%20" + tok; ck.Value != want {
				t.Errorf("got cookie value %q, want %q", ck.Value, want)
			}
			if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
				t.Errorf("got cookie %q, want HttpOnly, SameSite=Lax, Path=/", ck.Raw)
			}
			if ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now())) {
				t.Errorf("got cookie %q, want one that lasts", ck.Raw)
			}
		}},
		{name: "GET /api/users/me with the login cookie", c: loginC, method: "GET", path: "/api/users/me", status: 200, check: meIs("login@example.com", "login1")},
		{name: "POST /api/auth unknown email", c: anon, method: "POST", path: "/api/auth", body: `{"email":"nobody@example.com","password":"pass-word-1"}`, status: 400, msg: msgBadCredentials},
		{name: "POST /api/auth wrong password", c: anon, method: "POST", path: "/api/auth", body: `{"email":"plain@example.com","password":"pass-word-2"}`, status: 400, msg: msgBadCredentials},
		{name: "DELETE /api/auth", c: loginC, method: "DELETE", path: "/api/auth", status: 200, check: func(t *testing.T, a answer) {
			checkRaw(`{}`)(t, a)
			ck := cookieOf(t, a)
			if ck.Value != "" || (ck.MaxAge >= 0 && (ck.Expires.IsZero() || ck.Expires.After(time.Now()))) {
				t.Errorf("got cookie %q, want it cleared (empty, Max-Age<=0 or expired)", ck.Raw)
			}
			if ck.Path != "/" {
				t.Errorf("got cookie %q, want Path=/ so that it replaces the login cookie", ck.Raw)
			}
		}},
		{name: "GET /api/users/me after logout", c: loginC, method: "GET", path: "/api/users/me", status: 401, msg: msgLoginRequired},
		{name: "DELETE /api/auth anonymous", c: anon, method: "DELETE", path: "/api/auth", status: 200, check: checkRaw(`{}`)},

		// GET /api/users/me
		{name: "GET /api/users/me", c: me, method: "GET", path: "/api/users/me", status: 200, check: meIs("me@example.com", "meuser1")},
		{name: "GET /api/users/me token in a header", c: anon, method: "GET", path: "/api/users/me", header: []string{"Authorization", "Bearer " + meToken}, status: 200, check: meIs("me@example.com", "meuser1")},
		{name: "GET /api/users/me raw cookie", c: anon, method: "GET", path: "/api/users/me", header: []string{"Cookie", "Authorization=Bearer " + meToken}, status: 200, check: meIs("me@example.com", "meuser1")},
		{name: "GET /api/users/me HS256 signed with the secret", c: anon, method: "GET", path: "/api/users/me", header: []string{"Authorization", "Bearer " + hs256}, status: 200, check: meIs("me@example.com", "meuser1")},
		{name: "GET /api/users/me anonymous", c: anon, method: "GET", path: "/api/users/me", status: 401, msg: msgLoginRequired},
		{name: "GET /api/users/me garbage token", c: anon, method: "GET", path: "/api/users/me", header: []string{"Authorization", "Bearer garbage"}, status: 401, msg: msgLoginRequired},
		{name: "GET /api/users/me garbage cookie", c: anon, method: "GET", path: "/api/users/me", header: []string{"Cookie", "Authorization=Bearer%20garbage"}, status: 401, msg: msgLoginRequired},
		{name: "GET /api/users/me expired token", c: anon, method: "GET", path: "/api/users/me", header: []string{"Cookie", "Authorization=Bearer%20" + expired}, status: 401, msg: msgLoginRequired},
		{name: "GET /api/users/me HS384 token", c: anon, method: "GET", path: "/api/users/me", header: []string{"Authorization", "Bearer " + hs384}, status: 401, msg: msgLoginRequired},
		{name: "GET /api/users/me token of no user", c: anon, method: "GET", path: "/api/users/me", header: []string{"Authorization", "Bearer " + noUser}, status: 401, msg: msgLoginRequired},

		// GET /api/goods, before any goods are created
		{name: "GET /api/goods", c: anon, method: "GET", path: "/api/goods", status: 200, check: checkGoodsList(seed)},
		{name: "GET /api/goods?category=", c: anon, method: "GET", path: "/api/goods?category=", status: 200, check: checkGoodsList(seed)},
		{name: "GET /api/goods?category=drink", c: anon, method: "GET", path: "/api/goods?category=drink", status: 200, check: checkGoodsList(byCategory("drink"))},
		{name: "GET /api/goods?category=food", c: anon, method: "GET", path: "/api/goods?category=food", status: 200, check: checkGoodsList(byCategory("food"))},
		{name: "GET /api/goods?category=goods", c: anon, method: "GET", path: "/api/goods?category=goods", status: 200, check: checkGoodsList(byCategory("goods"))},
		{name: "GET /api/goods?category=unknown", c: anon, method: "GET", path: "/api/goods?category=toys", status: 200, check: checkRaw(`{"goods":[]}`)},

		// GET /api/goods/:goodsId
		{name: "GET /api/goods/5", c: anon, method: "GET", path: "/api/goods/5", status: 200, check: func(t *testing.T, a answer) {
			if len(a.body) != 1 {
				t.Errorf("got %s, want {\"goods\":{…}} alone", a.raw)
			}
			checkGoods(t, "goods", a.body["goods"], seed[4])
		}},
		{name: "GET /api/goods/999", c: anon, method: "GET", path: "/api/goods/999", status: 404},
		{name: "GET /api/goods/abc", c: anon, method: "GET", path: "/api/goods/abc", status: 400},
		{name: "GET /api/goods/0", c: anon, method: "GET", path: "/api/goods/0", status: 400},
		{name: "GET /api/goods/-1", c: anon, method: "GET", path: "/api/goods/-1", status: 400},
		{name: "GET /api/goods/1.5", c: anon, method: "GET", path: "/api/goods/1.5", status: 400},

		// POST /api/goods
		{name: "POST /api/goods", c: admin, method: "POST", path: "/api/goods", body: `{"goodsId":101,"name":"레몬 마들렌","thumbnailUrl":"/images/goods/croissant.svg","category":"food","price":6.2}`, status: 201, check: func(t *testing.T, a answer) {
			checkGoods(t, "goods", a.body["goods"], madeleine)
			if got := string(a.raw); !strings.Contains(got, `"price":6.2`) {
				t.Errorf("got %s, want the price written 6.2", got)
			}
		}},
		{name: "POST /api/goods without goodsId", c: admin, method: "POST", path: "/api/goods", body: newGoods(`"name":"에코백","price":"12000"`), status: 201, check: func(t *testing.T, a answer) {
			g := object(a.body["goods"])
			id, _ := g["goodsId"].(json.Number)
			n, err := id.Int64()
			if err != nil || n <= 0 || slices.ContainsFunc(append(seed, madeleine), func(w goodsWant) bool { return w.id == string(id) }) {
				t.Fatalf("got goodsId %v, want a new positive integer", g["goodsId"])
			}
			want := goodsWant{string(id), "에코백", "12000", "/images/goods/mug.svg", "goods"}
			checkGoods(t, "goods", g, want)
			got := anon.in(t).call("GET", "/api/goods/"+string(id), nil)
			if got.status != 200 {
				t.Fatalf("GET /api/goods/%s: got %d %s, want 200", id, got.status, got.raw)
			}
			checkGoods(t, "GET /api/goods/"+string(id), got.body["goods"], want)
		}},
		{name: "POST /api/goods form", c: admin, method: "POST", path: "/api/goods", body: url.Values{"goodsId": {"103"}, "name": {"허브티"}, "thumbnailUrl": {"/images/goods/greentea.svg"}, "category": {"drink"}, "price": {"1.1"}}, status: 201, check: func(t *testing.T, a answer) {
			checkGoods(t, "goods", a.body["goods"], herbTea)
		}},
		{name: "POST /api/goods anonymous", c: anon, method: "POST", path: "/api/goods", body: newGoods(`"name":"몰래 상품 1","price":1`), status: 401, msg: msgLoginRequired, unchanged: []string{"/api/goods"}},
		{name: "POST /api/goods not an admin", c: plain, method: "POST", path: "/api/goods", body: newGoods(`"name":"몰래 상품 2","price":1`), status: 403, unchanged: []string{"/api/goods"}},
		{name: "POST /api/goods empty name", c: admin, method: "POST", path: "/api/goods", body: newGoods(`"name":"","price":1`), status: 400, unchanged: []string{"/api/goods"}},
		{name: "POST /api/goods negative price", c: admin, method: "POST", path: "/api/goods", body: newGoods(`"name":"음수 상품","price":-1`), status: 400, unchanged: []string{"/api/goods"}},
		{name: "POST /api/goods bad category", c: admin, method: "POST", path: "/api/goods", body: `{"name":"장난감","price":1,"thumbnailUrl":"/images/goods/mug.svg","category":"toys"}`, status: 400, unchanged: []string{"/api/goods"}},
		{name: "POST /api/goods duplicate goodsId", c: admin, method: "POST", path: "/api/goods", body: newGoods(`"goodsId":101,"name":"새 이름","price":1`), status: 409, unchanged: []string{"/api/goods"}},
		{name: "POST /api/goods duplicate name", c: admin, method: "POST", path: "/api/goods", body: newGoods(`"goodsId":150,"name":"아메리카노","price":1`), status: 409, unchanged: []string{"/api/goods"}},

		// The cart routes
		{name: "GET /api/goods/cart anonymous", c: anon, method: "GET", path: "/api/goods/cart", status: 401, msg: msgLoginRequired},
		{name: "GET /api/goods/cart empty", c: carter, method: "GET", path: "/api/goods/cart", status: 200, check: checkRaw(`{"carts":[]}`)},
		{name: "POST /api/goods/2/cart", c: carter, method: "POST", path: "/api/goods/2/cart", body: `{"quantity":1}`, status: 200, check: checkRaw(`{"result":"success"}`)},
		{name: "POST /api/goods/2/cart again", c: carter, method: "POST", path: "/api/goods/2/cart", body: `{"quantity":2}`, status: 400, msg: msgAlreadyInCart, unchanged: []string{"/api/goods/cart"}},
		{name: "POST /api/goods/999/cart", c: carter, method: "POST", path: "/api/goods/999/cart", body: `{"quantity":1}`, status: 404, unchanged: []string{"/api/goods/cart"}},
		{name: "POST /api/goods/3/cart quantity 0", c: carter, method: "POST", path: "/api/goods/3/cart", body: `{"quantity":0}`, status: 400, unchanged: []string{"/api/goods/cart"}},
		{name: "POST /api/goods/3/cart quantity 100", c: carter, method: "POST", path: "/api/goods/3/cart", body: `{"quantity":100}`, status: 400, unchanged: []string{"/api/goods/cart"}},
		{name: "POST /api/goods/3/cart quantity abc", c: carter, method: "POST", path: "/api/goods/3/cart", body: `{"quantity":"abc"}`, status: 400, unchanged: []string{"/api/goods/cart"}},
		{name: "POST /api/goods/3/cart quantity 1.5", c: carter, method: "POST", path: "/api/goods/3/cart", body: `{"quantity":1.5}`, status: 400, unchanged: []string{"/api/goods/cart"}},
		{name: "POST /api/goods/3/cart anonymous", c: anon, method: "POST", path: "/api/goods/3/cart", body: `{"quantity":1}`, status: 401, msg: msgLoginRequired},
		{name: "PUT /api/goods/5/cart absent", c: carter, method: "PUT", path: "/api/goods/5/cart", body: url.Values{"quantity": {"4"}}, status: 200, check: checkRaw(`{"success":true}`)},
		{name: "PUT /api/goods/2/cart present", c: carter, method: "PUT", path: "/api/goods/2/cart", body: `{"quantity":7}`, status: 200, check: checkRaw(`{"success":true}`)},
		{name: "GET /api/goods/cart", c: carter, method: "GET", path: "/api/goods/cart", status: 200, check: checkCart(cartLine{"7", seed[1]}, cartLine{"4", seed[4]})},
		{name: "PUT /api/goods/999/cart", c: carter, method: "PUT", path: "/api/goods/999/cart", body: `{"quantity":1}`, status: 404, unchanged: []string{"/api/goods/cart"}},
		{name: "PUT /api/goods/2/cart quantity 0", c: carter, method: "PUT", path: "/api/goods/2/cart", body: `{"quantity":0}`, status: 400, unchanged: []string{"/api/goods/cart"}},
		{name: "PUT /api/goods/2/cart quantity x", c: carter, method: "PUT", path: "/api/goods/2/cart", body: url.Values{"quantity": {"x"}}, status: 400, unchanged: []string{"/api/goods/cart"}},
		{name: "PUT /api/goods/2/cart anonymous", c: anon, method: "PUT", path: "/api/goods/2/cart", body: `{"quantity":1}`, status: 401, msg: msgLoginRequired},
		{name: "DELETE /api/goods/5/cart", c: carter, method: "DELETE", path: "/api/goods/5/cart", status: 200, check: checkRaw(`{"result":"success"}`)},
		{name: "DELETE /api/goods/5/cart again", c: carter, method: "DELETE", path: "/api/goods/5/cart", status: 200, check: checkRaw(`{"result":"success"}`)},
		{name: "GET /api/goods/cart after DELETE", c: carter, method: "GET", path: "/api/goods/cart", status: 200, check: checkCart(cartLine{"7", seed[1]})},
		{name: "DELETE /api/goods/2/cart anonymous", c: anon, method: "DELETE", path: "/api/goods/2/cart", status: 401, msg: msgLoginRequired},

		// The order routes
		{name: "POST /api/orders anonymous", c: anon, method: "POST", path: "/api/orders", body: `{"items":[{"goodsId":1,"quantity":1}]}`, status: 401, msg: msgLoginRequired},
		{name: "GET /api/orders anonymous", c: anon, method: "GET", path: "/api/orders", status: 401, msg: msgLoginRequired},
		{name: "GET /api/orders none", c: buyer, method: "GET", path: "/api/orders", status: 200, check: checkRaw(`{"orders":[]}`)},
		{name: "POST /api/orders empty cart", c: buyer, method: "POST", path: "/api/orders", body: `{}`, status: 400, unchanged: []string{"/api/orders"}},
		{name: "POST /api/orders empty items", c: buyer, method: "POST", path: "/api/orders", body: `{"items":[]}`, status: 400, unchanged: []string{"/api/orders"}},
		{name: "PUT /api/goods/103/cart for the order", c: buyer, method: "PUT", path: "/api/goods/103/cart", body: `{"quantity":3}`, status: 200},
		{name: "PUT /api/goods/1/cart for the order", c: buyer, method: "PUT", path: "/api/goods/1/cart", body: `{"quantity":"2"}`, status: 200},
		{name: "POST /api/orders quantity 0", c: buyer, method: "POST", path: "/api/orders", body: `{"items":[{"goodsId":1,"quantity":0}]}`, status: 400, unchanged: []string{"/api/orders", "/api/goods/cart"}},
		{name: "POST /api/orders without goodsId", c: buyer, method: "POST", path: "/api/orders", body: `{"items":[{"quantity":1}]}`, status: 400, unchanged: []string{"/api/orders", "/api/goods/cart"}},
		{name: "POST /api/orders items not a list", c: buyer, method: "POST", path: "/api/orders", body: `{"items":{"goodsId":1,"quantity":1}}`, status: 400, unchanged: []string{"/api/orders", "/api/goods/cart"}},
		{name: "POST /api/orders unknown goods", c: buyer, method: "POST", path: "/api/orders", body: `{"items":[{"goodsId":999,"quantity":1}]}`, status: 404, unchanged: []string{"/api/orders", "/api/goods/cart"}},
		{name: "POST /api/orders known and unknown goods", c: buyer, method: "POST", path: "/api/orders", body: `{"items":[{"goodsId":1,"quantity":1},{"goodsId":999,"quantity":1}]}`, status: 404, unchanged: []string{"/api/orders", "/api/goods/cart"}},
		{name: "POST /api/orders items", c: buyer, method: "POST", path: "/api/orders", body: `{"items":[{"goodsId":101,"quantity":3}]}`, status: 201, check: func(t *testing.T, a answer) {
			// 6.2 × 3 is 18.599999999999998 in binary floating point.
			orderIDs = append(orderIDs, checkOrder(t, a, "18.6", orderLine{"101", "레몬 마들렌", "6.2", "3"}))
		}},
		{name: "POST /api/orders the cart", c: buyer, method: "POST", path: "/api/orders", body: `{}`, status: 201, check: func(t *testing.T, a answer) {
			// 1.1 × 3 + 4500 × 2: 1.1 × 3 is 3.3000000000000003 in floating point.
			orderIDs = append(orderIDs, checkOrder(t, a, "9003.3", orderLine{"103", "허브티", "1.1", "3"}, orderLine{"1", "아메리카노", "4500", "2"}))
			if got := buyer.in(t).call("GET", "/api/goods/cart", nil); strings.TrimSpace(string(got.raw)) != `{"carts":[]}` {
				t.Errorf("the cart after ordering it: got %d %s, want {\"carts\":[]}", got.status, got.raw)
			}
		}},
		{name: "POST /api/orders form", c: buyer, method: "POST", path: "/api/orders", body: url.Values{"items": {`[{"goodsId":"2","quantity":"1"}]`}}, status: 201, check: func(t *testing.T, a answer) {
			orderIDs = append(orderIDs, checkOrder(t, a, "5000", orderLine{"2", "카페라떼", "5000", "1"}))
		}},
		{name: "GET /api/orders", c: buyer, method: "GET", path: "/api/orders", status: 200, check: func(t *testing.T, a answer) {
			orders := list(a.body["orders"])
			if len(a.body) != 1 || len(orders) != 3 {
				t.Fatalf("got %s, want {\"orders\":[…]} with 3 orders", a.raw)
			}
			var got []string
			for _, o := range orders {
				got = append(got, str(object(o)["orderId"]))
			}
			want := slices.Clone(orderIDs)
			slices.Reverse(want)
			if !slices.Equal(got, want) {
				t.Errorf("got orders %v, want newest first %v", got, want)
			}
			if total, _ := object(orders[1])["total"].(json.Number); total != "9003.3" {
				t.Errorf("got the cart order's total %v, want 9003.3", object(orders[1])["total"])
			}
		}},
	}

	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c.in(t)
			before := make([]answer, len(tt.unchanged))
			for i, p := range tt.unchanged {
				before[i] = c.call("GET", p, nil)
			}
			a := c.call(tt.method, tt.path, tt.body, tt.header...)
			if a.status != tt.status {
				t.Fatalf("%s %s: got %d %s, want %d", tt.method, tt.path, a.status, a.raw, tt.status)
			}
			if got := str(a.body["errorMessage"]); tt.msg != "" && got != tt.msg {
				t.Errorf("got errorMessage %q, want %q", got, tt.msg)
			}
			if tt.check != nil {
				tt.check(t, a)
			}
			for i, p := range tt.unchanged {
				if after := c.call("GET", p, nil); !bytes.Equal(after.raw, before[i].raw) {
					t.Errorf("GET %s after the refusal: got %s, want it unchanged: %s", p, after.raw, before[i].raw)
				}
			}
		})
	}

	// Whatever the interleaving, the unique indexes let exactly one of
	// identical sign-ups sent at once through.
	t.Run("POST /api/users identical sign-ups at once", func(t *testing.T) {
		const n = 4
		body := signUp("race@example.com", "racer1", contractPassword, contractPassword)
		type result struct {
			status      int
			ctype, body string
			err         error
		}
		results := make(chan result, n)
		start := make(chan struct{})
		for range n {
			go func() { // ends when its request is answered
				<-start
				res, err := http.Post(base+"/api/users", "application/json", strings.NewReader(body))
				if err != nil {
					results <- result{err: err}
					return
				}
				defer res.Body.Close()
				raw, err := io.ReadAll(res.Body)
				results <- result{res.StatusCode, res.Header.Get("Content-Type"), strings.TrimSpace(string(raw)), err}
			}()
		}
		close(start)
		created := 0
		for range n {
			r := <-results
			switch {
			case r.err != nil:
				t.Errorf("got %v, want an answer", r.err)
			case r.ctype != jsonUTF8:
				t.Errorf("got Content-Type %q, want %q", r.ctype, jsonUTF8)
			case r.status == 201 && r.body == `{}`:
				created++
			case r.status != 400 || r.body != `{"errorMessage":"`+msgTaken+`"}`:
				t.Errorf("got %d %s, want 201 {} or 400 %q", r.status, r.body, msgTaken)
			}
		}
		if created != 1 {
			t.Errorf("got %d of %d identical sign-ups created, want 1", created, n)
		}
	})
}
