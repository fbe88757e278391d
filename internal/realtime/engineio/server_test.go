package engineio

import (
	"bytes"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestHandshakePolling(t *testing.T) {
	ts := newTestServer(t, Options{PingInterval: 300 * time.Millisecond, PingTimeout: 200 * time.Millisecond}, false)
	c := ts.client()
	status, body, h := do(t, c, http.MethodGet, ts.pollingURL("")+"&foo=bar", "")
	if status != http.StatusOK {
		t.Fatalf("status: got %d, want 200", status)
	}
	if got, want := h.Get("Content-Type"), "text/plain; charset=UTF-8"; got != want {
		t.Errorf("Content-Type: got %q, want %q", got, want)
	}
	o := parseOpen(t, body)
	want := `0{"sid":"` + o.SID + `","upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}`
	if body != want {
		t.Errorf("open packet: got %s, want %s", body, want)
	}
	if len(o.SID) != 20 {
		t.Errorf("sid length: got %d, want 20", len(o.SID))
	}
	if _, err := base64.RawURLEncoding.DecodeString(o.SID); err != nil {
		t.Errorf("sid %q: not base64url: %v", o.SID, err)
	}
	sess := ts.nextSession()
	if sess.ID() != o.SID {
		t.Errorf("session id: got %q, want %q", sess.ID(), o.SID)
	}
	if got := sess.Transport(); got != TransportPolling {
		t.Errorf("transport: got %q, want %q", got, TransportPolling)
	}
	hs := sess.Handshake()
	if got := hs.Query.Get("foo"); got != "bar" {
		t.Errorf("handshake query foo: got %q, want bar", got)
	}
	if !strings.HasPrefix(hs.URL, "/engine.io/?EIO=4") {
		t.Errorf("handshake url: got %q, want /engine.io/?EIO=4...", hs.URL)
	}
	if hs.RemoteAddr == "" || hs.Time.IsZero() || hs.Header.Get("User-Agent") == "" {
		t.Errorf("handshake: got %+v, want remote address, time and headers", hs)
	}
	if got := ts.srv.Count(); got != 1 {
		t.Errorf("Count: got %d, want 1", got)
	}
}

func TestHandshakeUpgradesDisabled(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"both transports", Options{}, `["websocket"]`},
		{"upgrades disabled", Options{DisableUpgrades: true}, `[]`},
		{"polling only", Options{Transports: []string{TransportPolling}}, `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := newTestServer(t, tt.opts, false)
			_, body, _ := do(t, ts.client(), http.MethodGet, ts.pollingURL(""), "")
			if !strings.Contains(body, `"upgrades":`+tt.want+`,`) {
				t.Errorf("open packet: got %s, want upgrades %s", body, tt.want)
			}
		})
	}
}

func TestHandshakeErrors(t *testing.T) {
	refuse := func(r *http.Request) error {
		if r.Header.Get("X-Refuse") != "" {
			return errors.New("refused")
		}
		return nil
	}
	ts := newTestServer(t, Options{AllowRequest: refuse}, false)
	wsOnly := newTestServer(t, Options{Transports: []string{TransportWebSocket}}, false)
	c := ts.client()
	tests := []struct {
		name       string
		srv        *testServer
		method     string
		query      string
		header     map[string]string
		wantStatus int
		wantBody   string
	}{
		{"no transport", ts, "GET", "EIO=4", nil, 400, `{"code":0,"message":"Transport unknown"}`},
		{"unknown transport", ts, "GET", "EIO=4&transport=abc", nil, 400, `{"code":0,"message":"Transport unknown"}`},
		{"disabled transport", wsOnly, "GET", "EIO=4&transport=polling", nil, 400, `{"code":0,"message":"Transport unknown"}`},
		{"no EIO", ts, "GET", "transport=polling", nil, 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"EIO 3", ts, "GET", "EIO=3&transport=polling", nil, 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"EIO abc", ts, "GET", "EIO=abc&transport=polling", nil, 400, `{"code":5,"message":"Unsupported protocol version"}`},
		{"POST handshake", ts, "POST", "EIO=4&transport=polling", nil, 400, `{"code":2,"message":"Bad handshake method"}`},
		{"PUT handshake", ts, "PUT", "EIO=4&transport=polling", nil, 400, `{"code":2,"message":"Bad handshake method"}`},
		{"unknown sid", ts, "GET", "EIO=4&transport=polling&sid=nope", nil, 400, `{"code":1,"message":"Session ID unknown"}`},
		{"unknown sid on websocket", ts, "GET", "EIO=4&transport=websocket&sid=nope", nil, 400, `{"code":1,"message":"Session ID unknown"}`},
		{"websocket without upgrade", ts, "GET", "EIO=4&transport=websocket", nil, 400, `{"code":3,"message":"Bad request"}`},
		{"refused", ts, "GET", "EIO=4&transport=polling", map[string]string{"X-Refuse": "1"}, 403, `{"code":4,"message":"Forbidden"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.srv.url+"?"+tt.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var b bytes.Buffer
			_, _ = b.ReadFrom(res.Body)
			if res.StatusCode != tt.wantStatus {
				t.Errorf("status: got %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if b.String() != tt.wantBody {
				t.Errorf("body: got %s, want %s", b.String(), tt.wantBody)
			}
			if got := res.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type: got %q, want application/json", got)
			}
		})
	}
	if got := ts.srv.Count(); got != 0 {
		t.Errorf("Count after refused handshakes: got %d, want 0", got)
	}
}

// TestBadMethodOnSession shows that a request with a method the polling
// transport does not serve, on an existing session, is refused with 400 and
// leaves the session as it was.
func TestBadMethodOnSession(t *testing.T) {
	ts := newTestServer(t, Options{}, true)
	c := ts.client()
	sid := ts.handshake(c)
	for _, method := range []string{http.MethodPut, http.MethodDelete, http.MethodPatch} {
		status, body, _ := do(t, c, method, ts.pollingURL(sid), "4hello")
		if status != http.StatusBadRequest || body != `{"code":3,"message":"Bad request"}` {
			t.Errorf("%s with the sid: got %d %s, want 400 {\"code\":3,\"message\":\"Bad request\"}", method, status, body)
		}
	}
	if status, body, _ := do(t, c, http.MethodPost, ts.pollingURL(sid), "4hello"); status != http.StatusOK || body != "ok" {
		t.Fatalf("POST after the refusals: got %d %s, want 200 ok", status, body)
	}
	if status, body, _ := do(t, c, http.MethodGet, ts.pollingURL(sid), ""); status != http.StatusOK || body != "4hello" {
		t.Fatalf("GET after the refusals: got %d %q, want 200 with only the echo of the POST", status, body)
	}
}

func TestAllowRequestWebSocket(t *testing.T) {
	ts := newTestServer(t, Options{AllowRequest: func(*http.Request) error { return errors.New("no") }}, false)
	_, res, err := wsDialer().Dial(ts.wsURL(""), nil)
	if err == nil {
		t.Fatal("dial: got success, want refusal")
	}
	if res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("dial: got response %v, want 403", res)
	}
	res.Body.Close()
}

func TestCORS(t *testing.T) {
	cors := CORS{
		AllowedOrigins:   []string{"https://shop.example"},
		AllowOriginFunc:  func(o string) bool { return o == "https://app.example" },
		AllowCredentials: true,
	}
	ts := newTestServer(t, Options{CORS: cors}, false)
	open := newTestServer(t, Options{CORS: CORS{AllowedOrigins: []string{"*"}}}, false)
	none := newTestServer(t, Options{}, false)
	c := ts.client()
	tests := []struct {
		name        string
		srv         *testServer
		method      string
		query       string
		origin      string
		wantStatus  int
		wantOrigin  string
		wantCreds   string
		wantMethods string
	}{
		{"listed origin", ts, "GET", "EIO=4&transport=polling", "https://shop.example", 200, "https://shop.example", "true", ""},
		{"origin by func", ts, "GET", "EIO=4&transport=polling", "https://app.example", 200, "https://app.example", "true", ""},
		{"foreign origin", ts, "GET", "EIO=4&transport=polling", "https://evil.example", 200, "", "", ""},
		{"error response", ts, "GET", "EIO=4&transport=nope", "https://shop.example", 400, "https://shop.example", "true", ""},
		{"preflight", ts, "OPTIONS", "EIO=4&transport=polling", "https://shop.example", 204, "https://shop.example", "true", "GET, POST"},
		{"foreign preflight", ts, "OPTIONS", "EIO=4&transport=polling", "https://evil.example", 204, "", "", ""},
		{"wildcard", open, "GET", "EIO=4&transport=polling", "https://any.example", 200, "*", "", ""},
		{"no policy", none, "GET", "EIO=4&transport=polling", "https://shop.example", 200, "", "", ""},
		{"no policy preflight", none, "OPTIONS", "EIO=4&transport=polling", "https://shop.example", 400, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.srv.url+"?"+tt.query, nil)
			req.Header.Set("Origin", tt.origin)
			req.Header.Set("Access-Control-Request-Headers", "content-type")
			res, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.wantStatus {
				t.Errorf("status: got %d, want %d", res.StatusCode, tt.wantStatus)
			}
			h := res.Header
			if got := h.Get("Access-Control-Allow-Origin"); got != tt.wantOrigin {
				t.Errorf("Allow-Origin: got %q, want %q", got, tt.wantOrigin)
			}
			if got := h.Get("Access-Control-Allow-Credentials"); got != tt.wantCreds {
				t.Errorf("Allow-Credentials: got %q, want %q", got, tt.wantCreds)
			}
			if got := h.Get("Access-Control-Allow-Methods"); got != tt.wantMethods {
				t.Errorf("Allow-Methods: got %q, want %q", got, tt.wantMethods)
			}
			wantHeaders := ""
			if tt.wantMethods != "" {
				wantHeaders = "content-type"
			}
			if got := h.Get("Access-Control-Allow-Headers"); got != wantHeaders {
				t.Errorf("Allow-Headers: got %q, want %q", got, wantHeaders)
			}
		})
	}
}

func TestCORSAllowsOrigin(t *testing.T) {
	c := CORS{AllowedOrigins: []string{"https://a.example"}}
	tests := []struct {
		origin string
		want   bool
	}{
		{"https://a.example", true},
		{"https://b.example", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			if got := c.AllowsOrigin(tt.origin); got != tt.want {
				t.Errorf("AllowsOrigin(%q): got %v, want %v", tt.origin, got, tt.want)
			}
		})
	}
}

func TestQueryValue(t *testing.T) {
	tests := []struct {
		raw, key, want string
	}{
		{"EIO=4&transport=polling&sid=abc", "sid", "abc"},
		{"EIO=4&transport=polling", "sid", ""},
		{"sid=a%2Bb&sid=c", "sid", "a+b"},
		{"t=1&sid=", "sid", ""},
		{"sid=%zz", "sid", ""},
		{"", "EIO", ""},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			if got := queryValue(tt.raw, tt.key); got != tt.want {
				t.Errorf("queryValue(%q, %q): got %q, want %q", tt.raw, tt.key, got, tt.want)
			}
		})
	}
}
