package goods_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/livebuy/shop/internal/auth"
	"github.com/livebuy/shop/internal/database/dbtest"
	"github.com/livebuy/shop/internal/errs"
	"github.com/livebuy/shop/internal/goods"
)

const adminEmail = "admin@shop.test"

// shop is the goods routes behind a real chi router, the real auth
// middleware and an embedded database, served on loopback.
type shop struct {
	srv    *httptest.Server
	store  *faultyStore
	notes  *recorder
	tokens *auth.Tokens
	users  *userTable
	orders *goods.OrderService
}

func newShop(t *testing.T) *shop {
	t.Helper()
	db := dbtest.Migrated(t)
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", auth.MinSecretLen)), 0)
	if err != nil {
		t.Fatal(err)
	}
	s := &shop{
		store:  &faultyStore{Store: goods.NewMongoStore(db)},
		notes:  &recorder{},
		tokens: tokens,
		users:  &userTable{byID: map[string]auth.Principal{}},
	}
	catalog := goods.NewCatalog(s.store, goods.CatalogOptions{})
	s.orders = goods.NewOrderService(s.store, catalog, s.notes, nil)
	h := goods.NewHandler(goods.HandlerConfig{
		Catalog:     catalog,
		Carts:       goods.NewCartService(s.store, catalog, nil),
		Orders:      s.orders,
		AdminEmails: []string{adminEmail},
	})
	r := chi.NewRouter()
	r.Use(auth.NewAuthenticator(tokens, s.users, nil).Middleware)
	h.Routes(r)
	s.srv = httptest.NewServer(r)
	t.Cleanup(s.srv.Close)
	return s
}

// userTable is the user lookup auth needs; the users package owns the real
// one, and goods must not depend on it.
type userTable struct {
	mu   sync.Mutex
	byID map[string]auth.Principal
}

func (u *userTable) LookupUser(_ context.Context, id string) (auth.Principal, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	p, ok := u.byID[id]
	if !ok {
		return auth.Principal{}, errs.E(errs.NotFound, "no such user")
	}
	return p, nil
}

// client is an HTTP client acting for one user, or for nobody.
type client struct {
	t      *testing.T
	base   string
	cookie string // "" for an anonymous client
	p      auth.Principal
}

// user signs up a user with the given nickname and email and returns a
// client carrying its token in the Authorization cookie, as browsers do.
func (s *shop) user(t *testing.T, nickname, email string) *client {
	t.Helper()
	p := auth.Principal{UserID: bson.NewObjectID().Hex(), Email: email, Nickname: nickname}
	s.users.mu.Lock()
	s.users.byID[p.UserID] = p
	s.users.mu.Unlock()
	tok, err := s.tokens.Issue(p.UserID)
	if err != nil {
		t.Fatal(err)
	}
	return &client{t: t, base: s.srv.URL, cookie: url.PathEscape("Bearer " + tok), p: p}
}

func (s *shop) anonymous(t *testing.T) *client {
	return &client{t: t, base: s.srv.URL}
}

// reply is a response read whole.
type reply struct {
	status int
	ctype  string
	body   []byte
}

// do sends a request; a body given as a string is sent as is with ctype,
// anything else is sent as JSON.
func (c *client) do(method, path string, body any, ctype string) reply {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
		if ctype == "" {
			ctype = "application/json"
		}
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.cookie != "" {
		req.Header.Set("Cookie", auth.CookieName+"="+c.cookie)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, ctype: resp.Header.Get("Content-Type"), body: raw}
}

func (c *client) get(path string) reply { c.t.Helper(); return c.do(http.MethodGet, path, nil, "") }

// json decodes the body with numbers kept as written, so money can be
// compared as the exact text the shop rendered.
func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
	return m
}

// expect fails unless the reply has the status and a JSON content type.
func (r reply) expect(t *testing.T, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("got status %d (%s), want %d", r.status, r.body, status)
	}
	if r.ctype != "application/json; charset=utf-8" {
		t.Fatalf("got Content-Type %q, want application/json; charset=utf-8", r.ctype)
	}
	return r
}

// expectError fails unless the reply is status with {"errorMessage"}, and
// with exactly msg when msg is not empty.
func (r reply) expectError(t *testing.T, status int, msg string) {
	t.Helper()
	r.expect(t, status)
	var body map[string]any
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
	got, ok := body["errorMessage"].(string)
	if !ok || got == "" || len(body) != 1 {
		t.Fatalf("got body %s, want only a non-empty errorMessage", r.body)
	}
	if msg != "" && got != msg {
		t.Fatalf("got errorMessage %q, want %q", got, msg)
	}
}

// recorder is a goods.Notifier that keeps what it is told.
type recorder struct {
	mu  sync.Mutex
	got []goods.Purchase
}

func (r *recorder) OrderPlaced(_ context.Context, p goods.Purchase) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, p)
}

// take returns the purchases told since the last take.
func (r *recorder) take() []goods.Purchase {
	r.mu.Lock()
	defer r.mu.Unlock()
	got := r.got
	r.got = nil
	return got
}

// faultyStore is the real store whose order inserts can be made to fail,
// as a database that stops answering would.
type faultyStore struct {
	goods.Store
	mu         sync.Mutex
	failOrders bool
}

var errInjected = errors.New("injected: connection reset by peer")

func (f *faultyStore) setFailOrders(v bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failOrders = v
}

func (f *faultyStore) InsertOrder(ctx context.Context, o goods.Order) (string, error) {
	f.mu.Lock()
	fail := f.failOrders
	f.mu.Unlock()
	if fail {
		return "", errInjected
	}
	return f.Store.InsertOrder(ctx, o)
}

// keys returns the keys of a JSON object.
func keys(t *testing.T, v any) []string {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("got %T %v, want a JSON object", v, v)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
