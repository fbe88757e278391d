package realtime

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

func TestShutdown(t *testing.T) {
	baseline := runtime.NumGoroutine()
	srv := NewServer(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	hs := httptest.NewServer(srv)
	got := newEvents()
	watchDisconnect(srv.Of("/"), got)
	watchDisconnect(srv.Of("/custom"), got)

	var clients []*testClient
	for _, tr := range []string{"websocket", "websocket", "polling", "polling"} {
		c := dial(t, hs, tr, nil)
		c.connect("/", "")
		c.connect("/custom", "")
		clients = append(clients, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	for range 2 * len(clients) {
		got.expect(t, "disconnecting "+ReasonServerShuttingDown+" rooms=2")
		got.expect(t, "disconnect "+ReasonServerShuttingDown+" rooms=0 connected=false")
	}
	for _, c := range clients {
		if before := c.expectClosed(); len(before) != 0 {
			t.Errorf("got %v before the close, want nothing", before)
		}
	}
	if n := srv.engine.Count(); n != 0 {
		t.Errorf("got %d sessions after Shutdown, want 0", n)
	}

	// A connection attempt after Shutdown is refused.
	if _, err := httpGet(hs.URL + "/socket.io/?EIO=4&transport=polling"); err == nil {
		t.Error("got a handshake after Shutdown, want a refusal")
	}

	for _, c := range clients {
		c.close()
	}
	hs.Close()
	// No goroutine outlives its connection.
	deadline := time.Now().Add(waitTimeout)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline {
		buf := make([]byte, 1<<20)
		t.Fatalf("got %d goroutines, want at most %d:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}
}

// httpGet returns the body of a successful GET, or an error.
func httpGet(u string) (string, error) {
	resp, err := http.Get(u)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s: %s", resp.Status, b)
	}
	return string(b), nil
}
