package live

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
)

func TestOriginPolicy(t *testing.T) {
	allow := OriginPolicy([]string{"https://partner.example/", "HTTP://Other.Example:8080"})
	tests := []struct {
		host, origin string
		want         bool
	}{
		{"shop.example", "", true},
		{"shop.example", "https://shop.example", true},
		{"127.0.0.1:3000", "http://127.0.0.1:3000", true},
		{"shop.example", "https://partner.example", true},
		{"shop.example", "http://other.example:8080", true},
		{"shop.example", "https://evil.example", false},
		{"shop.example", "https://shop.example.evil.example", false},
		{"127.0.0.1:3000", "http://127.0.0.1:3001", false},
		{"shop.example", "null", false},
		{"shop.example", "file://shop.example", false},
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/socket.io/?EIO=4&transport=polling", nil)
			r.Host = tt.host
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if got := allow(r) == nil; got != tt.want {
				t.Errorf("host %s origin %q: got allowed=%v, want %v", tt.host, tt.origin, got, tt.want)
			}
		})
	}
}

func TestTokenFromAuth(t *testing.T) {
	tests := []struct{ auth, want string }{
		{``, ""},
		{`{}`, ""},
		{`{"token":"abc.def.ghi"}`, "abc.def.ghi"},
		{`{"token":"Bearer abc.def.ghi"}`, "abc.def.ghi"},
		{`{"token":"Bearer%20abc.def.ghi"}`, "abc.def.ghi"},
		{`{"token":{"$ne":null}}`, ""},
		{`"token"`, ""},
	}
	for _, tt := range tests {
		if got := tokenFromAuth(json.RawMessage(tt.auth)); got != tt.want {
			t.Errorf("auth %s: got %q, want %q", tt.auth, got, tt.want)
		}
	}
}
