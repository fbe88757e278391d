package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestUnroutedRequests shows what the shop answers for an API path it has
// no route for and for a method an API route does not take: JSON errors,
// with Allow naming the methods that are served. (Other paths belong to
// the web handler, which answers 405 itself.)
func TestUnroutedRequests(t *testing.T) {
	base, _ := startShop(t)
	tests := []struct {
		method, path string
		status       int
		allow        string
		message      string
	}{
		{"PATCH", "/api/goods/1/cart", 405, "POST, PUT, DELETE", "허용되지 않는 요청 방식입니다."},
		{"DELETE", "/api/goods", 405, "GET, POST", "허용되지 않는 요청 방식입니다."},
		{"PUT", "/api/users/me", 405, "GET", "허용되지 않는 요청 방식입니다."},
		{"GET", "/api/nothing/here", 404, "", "요청한 API를 찾을 수 없습니다."},
		{"POST", "/api/nothing/here", 404, "", "요청한 API를 찾을 수 없습니다."},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, base+tt.path, strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			raw, _ := io.ReadAll(res.Body)
			var body map[string]string
			if err := json.Unmarshal(raw, &body); err != nil || len(body) != 1 || body["errorMessage"] != tt.message {
				t.Errorf("got body %s, want {\"errorMessage\":%q}", raw, tt.message)
			}
			if res.StatusCode != tt.status || res.Header.Get("Allow") != tt.allow {
				t.Errorf("got %d with Allow %q, want %d with Allow %q", res.StatusCode, res.Header.Get("Allow"), tt.status, tt.allow)
			}
		})
	}
}
