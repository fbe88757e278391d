package engineio

import (
	"reflect"
	"testing"
)

func TestWebSocketHandshakeURL(t *testing.T) {
	ts := newTestServer(t, Options{}, false)
	open := func(query string) *Handshake {
		t.Helper()
		ts.dial(ts.wsURL("") + query)
		return ts.nextSession().Handshake()
	}
	a := open("")
	b := open("")
	c := open("&token=x%20y")
	d := open("")

	tests := []struct {
		name      string
		hs        *Handshake
		wantToken string
	}{
		{"first", a, ""},
		{"same URL", b, ""},
		{"own query", c, "x y"},
		{"same URL again", d, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.hs.Query.Get("transport"); got != TransportWebSocket {
				t.Errorf("transport: got %q, want %q", got, TransportWebSocket)
			}
			if got := tt.hs.Query.Get("token"); got != tt.wantToken {
				t.Errorf("token: got %q, want %q", got, tt.wantToken)
			}
			if got := tt.hs.Header.Get("Sec-Websocket-Version"); got != "13" {
				t.Errorf("Sec-Websocket-Version header: got %q, want 13", got)
			}
		})
	}
	if reflect.ValueOf(a.Query).UnsafePointer() != reflect.ValueOf(b.Query).UnsafePointer() {
		t.Error("sessions opened with the same URL: got a query each, want one shared")
	}
	if reflect.ValueOf(c.Query).UnsafePointer() == reflect.ValueOf(d.Query).UnsafePointer() {
		t.Error("sessions opened with different URLs: got one query, want one each")
	}
	if a.URL != d.URL || c.URL == a.URL {
		t.Errorf("URLs: got %q, %q, %q, want the first and last equal", a.URL, c.URL, d.URL)
	}
}
