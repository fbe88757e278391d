package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/auth"
)

// shopClient is a browser-like client of a running shop: it keeps cookies.
type shopClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func newShopClient(t *testing.T, base string) *shopClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &shopClient{t: t, base: base, http: &http.Client{Jar: jar}}
}

// do sends body (a JSON string, or url.Values for a form) and returns the
// status and the decoded JSON answer.
func (c *shopClient) do(method, path string, body any, header ...string) (int, map[string]any) {
	c.t.Helper()
	var r io.Reader
	ctype := ""
	switch b := body.(type) {
	case string:
		r, ctype = strings.NewReader(b), "application/json"
	case url.Values:
		r, ctype = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var got map[string]any
	if err := json.Unmarshal(raw, &got); err != nil {
		c.t.Fatalf("%s %s: got body %q, want JSON", method, path, raw)
	}
	return res.StatusCode, got
}

// TestShopFlow walks a shopper through the real router and the embedded
// database: sign-up by form, login, cart, an order with an exact total,
// logout, and the attacks the original shop let through.
func TestShopFlow(t *testing.T) {
	base, _ := startShop(t)
	c := newShopClient(t, base)

	form := url.Values{"email": {"Shopper@Example.com"}, "nickname": {"shopper7"}, "password": {"pass-word-1"}, "confirmPassword": {"pass-word-1"}}
	if status, body := c.do("POST", "/api/users", form); status != 201 {
		t.Fatalf("sign-up by form: got %d %v, want 201", status, body)
	}
	if status, body := c.do("POST", "/api/auth", `{"email":{"$ne":null},"password":{"$ne":null}}`); status != 400 || body["errorMessage"] == "" {
		t.Fatalf("login with operator objects: got %d %v, want 400 with a message", status, body)
	}
	if status, _ := c.do("GET", "/api/users/me", nil); status != 401 {
		t.Fatalf("after a refused login: got %d, want 401", status)
	}
	status, body := c.do("POST", "/api/auth", url.Values{"email": {"shopper@example.com"}, "password": {"pass-word-1"}})
	if status != 200 || body["token"] == "" {
		t.Fatalf("login: got %d %v, want 200 with a token", status, body)
	}
	token, _ := body["token"].(string)

	if status, body := c.do("GET", "/api/users/me", nil); status != 200 {
		t.Fatalf("me: got %d %v", status, body)
	} else if user, _ := body["user"].(map[string]any); user["nickname"] != "shopper7" || user["email"] != "shopper@example.com" {
		t.Fatalf("me: got %v, want shopper7 / shopper@example.com", body)
	}

	// 3 × 5,000 + 2 × 3,800 = 22,600.
	if status, body := c.do("POST", "/api/goods/2/cart", url.Values{"quantity": {"3"}}); status != 200 {
		t.Fatalf("add to cart: got %d %v", status, body)
	}
	if status, body := c.do("PUT", "/api/goods/4/cart", `{"quantity":"2"}`); status != 200 || body["success"] != true {
		t.Fatalf("put in cart: got %d %v", status, body)
	}
	status, body = c.do("POST", "/api/orders", `{}`)
	if status != 201 {
		t.Fatalf("order the cart: got %d %v, want 201", status, body)
	}
	order, _ := body["order"].(map[string]any)
	if order["total"] != 22600.0 {
		t.Fatalf("order total: got %v, want 22600", order["total"])
	}
	if _, body := c.do("GET", "/api/goods/cart", nil); len(body["carts"].([]any)) != 0 {
		t.Fatalf("cart after ordering it: got %v, want empty", body)
	}

	// A token signed with "none" is refused, whatever it claims.
	claims := strings.Split(token, ".")[1]
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + claims + "."
	anon := newShopClient(t, base)
	if status, _ := anon.do("GET", "/api/orders", nil, "Authorization", "Bearer "+forged); status != 401 {
		t.Fatalf("alg:none token: got %d, want 401", status)
	}
	if status, _ := anon.do("GET", "/api/orders", nil, "Authorization", "Bearer "+token); status != 200 {
		t.Fatalf("the real token in a header: got %d, want 200", status)
	}

	if status, _ := c.do("DELETE", "/api/auth", nil); status != 200 {
		t.Fatalf("logout: got %d", status)
	}
	if status, _ := c.do("GET", "/api/orders", nil); status != 401 {
		t.Fatalf("orders after logout: got %d, want 401", status)
	}
	if status, body := c.do("POST", "/api/goods", `{"name":"몰래 상품","price":1,"thumbnailUrl":"/x.svg","category":"food"}`); status != 401 {
		t.Fatalf("anonymous goods creation: got %d %v, want 401", status, body)
	}
}

// TestLoginThrottle drives the login throttle as the shop wires it: after
// auth.DefaultMaxFailures wrong passwords for one email, logins for that
// email are refused with 429 and Retry-After, even with the right password,
// while other emails from the same address still log in.
func TestLoginThrottle(t *testing.T) {
	base, _ := startShop(t)
	c := newShopClient(t, base)
	for _, u := range []struct{ email, nickname string }{{"victim@example.com", "victim1"}, {"bystander@example.com", "bystander1"}} {
		form := url.Values{"email": {u.email}, "nickname": {u.nickname}, "password": {"pass-word-1"}, "confirmPassword": {"pass-word-1"}}
		if status, body := c.do("POST", "/api/users", form); status != 201 {
			t.Fatalf("sign up %s: got %d %v, want 201", u.email, status, body)
		}
	}

	login := func(email, password string) (int, string, map[string]any) {
		t.Helper()
		req, err := http.NewRequest("POST", base+"/api/auth", strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, res.Header.Get("Retry-After"), body
	}

	for i := 1; i <= auth.DefaultMaxFailures; i++ {
		// The email's case and spaces do not make a new key.
		email := "victim@example.com"
		if i%2 == 0 {
			email = " Victim@Example.COM "
		}
		if status, _, body := login(email, "wrong-password"); status != 400 || body["errorMessage"] != auth.MsgBadCredentials {
			t.Fatalf("wrong password %d: got %d %v, want 400 %q", i, status, body, auth.MsgBadCredentials)
		}
	}
	tests := []struct {
		name, email, password string
		wantStatus            int
		wantMsg               string
	}{
		{"one more wrong password", "victim@example.com", "wrong-password", 429, auth.MsgTooManyAttempts},
		{"the right password", "victim@example.com", "pass-word-1", 429, auth.MsgTooManyAttempts},
		{"another email", "bystander@example.com", "pass-word-1", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, retry, body := login(tt.email, tt.password)
			if status != tt.wantStatus {
				t.Fatalf("got %d %v, want %d", status, body, tt.wantStatus)
			}
			if tt.wantStatus != 429 {
				return
			}
			if body["errorMessage"] != tt.wantMsg {
				t.Errorf("got errorMessage %v, want %q", body["errorMessage"], tt.wantMsg)
			}
			// The wait is what is left of the failure window, in seconds.
			secs, err := strconv.Atoi(retry)
			if err != nil || secs < 1 || secs > int(auth.DefaultFailureWindow/time.Second) {
				t.Errorf("got Retry-After %q, want 1-%d seconds", retry, int(auth.DefaultFailureWindow/time.Second))
			}
		})
	}
}
