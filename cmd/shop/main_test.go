package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/nodetest"
)

// logSink collects the shop's log lines and reports the listening address.
type logSink struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	addr  chan string
	ready chan struct{}
	once  sync.Once
	ronce sync.Once
}

var addrRE = regexp.MustCompile(`msg=listening addr=(\S+)`)

func newLogSink() *logSink {
	return &logSink{addr: make(chan string, 1), ready: make(chan struct{})}
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if m := addrRE.FindSubmatch(p); m != nil {
		l.once.Do(func() { l.addr <- string(m[1]) })
	}
	if bytes.Contains(p, []byte("msg=ready")) {
		l.ronce.Do(func() { close(l.ready) })
	}
	return len(p), nil
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// startShop runs the shop on a free loopback port with an embedded database
// and returns its base URL once it is ready; the shop is stopped, and must
// stop cleanly, at the end of the test.
func startShop(t *testing.T, extra ...string) (string, *logSink) {
	t.Helper()
	s := launchShop(t, nil, extra...)
	s.waitReady(t)
	return s.base, s.logs
}

// shopRun is a shop run by run in this process.
type shopRun struct {
	base   string
	logs   *logSink
	cancel context.CancelFunc
	done   chan error // receives run's result
	err    error      // run's result, once stopped
	exited bool
}

// launchShop starts run on a free loopback port with an embedded database
// in a directory of its own (extra may override both) and returns once the
// shop listens, which may be before it is ready. getenv nil means an empty
// environment. Unless the test stops it, the shop is stopped at the end of
// the test and must stop cleanly.
func launchShop(t *testing.T, getenv func(string) string, extra ...string) *shopRun {
	t.Helper()
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &shopRun{logs: newLogSink(), cancel: cancel, done: make(chan error, 1)}
	args := append([]string{"-addr", "127.0.0.1:0", "-data-dir", t.TempDir(), "-log-level", "debug", "-bcrypt-cost", "4"}, extra...)
	go func() { s.done <- run(ctx, args, getenv, s.logs) }() // ends when ctx is cancelled
	t.Cleanup(func() {
		if s.exited {
			return
		}
		if err := s.stop(t); err != nil {
			t.Errorf("run returned %v, want nil after a graceful stop", err)
		}
	})
	select {
	case addr := <-s.logs.addr:
		s.base = "http://" + addr
	case err := <-s.done:
		s.exited = true
		t.Fatalf("run ended early: %v\n%s", err, s.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("the shop did not listen within 30s\n%s", s.logs)
	}
	return s
}

// waitReady waits until the shop has logged that it is ready.
func (s *shopRun) waitReady(t *testing.T) {
	t.Helper()
	select {
	case <-s.logs.ready:
	case err := <-s.done:
		s.exited, s.err = true, err
		t.Fatalf("run ended before it was ready: %v\n%s", err, s.logs)
	case <-time.After(60 * time.Second):
		t.Fatalf("the shop was not ready within 60s\n%s", s.logs)
	}
}

// stop cancels run's context and returns run's result.
func (s *shopRun) stop(t *testing.T) error {
	t.Helper()
	if s.exited {
		return s.err
	}
	s.cancel()
	select {
	case s.err = <-s.done:
		s.exited = true
		return s.err
	case <-time.After(30 * time.Second):
		t.Fatalf("the shop did not stop within 30s\n%s", s.logs)
		return nil
	}
}

func TestRunServesAndStops(t *testing.T) {
	base, logs := startShop(t, "-jwt-secret", "a-secret-long-enough-for-hs256-signing-000")

	res, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("got /healthz %d, want 200", res.StatusCode)
	}

	tests := []struct {
		path, wantType string
		wantStatus     int
	}{
		{"/api/goods", "application/json; charset=utf-8", 200},
		{"/api/nothing-here", "application/json; charset=utf-8", 404},
		{"/", "text/html; charset=utf-8", 200},
		{"/goods.html", "text/html; charset=utf-8", 200},
		{"/socket.io/?EIO=4&transport=polling", "text/plain; charset=UTF-8", 200},
		{"/socket.io/?EIO=3&transport=polling", "application/json", 400},
	}
	for _, tt := range tests {
		res, err := http.Get(base + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.wantStatus || res.Header.Get("Content-Type") != tt.wantType {
			t.Errorf("GET %s: got %d %q, want %d %q (%s)", tt.path, res.StatusCode, res.Header.Get("Content-Type"), tt.wantStatus, tt.wantType, body)
		}
		if strings.HasPrefix(tt.path, "/api/") && tt.wantStatus >= 400 {
			var e struct{ ErrorMessage string }
			if json.Unmarshal(body, &e) != nil || e.ErrorMessage == "" {
				t.Errorf("GET %s: got body %s, want {\"errorMessage\"}", tt.path, body)
			}
		}
	}
	if strings.Contains(logs.String(), "a-secret-long-enough") {
		t.Error("the JWT secret reached the log")
	}
}

func TestRunHelp(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"-h"}, func(string) string { return "" }, &out)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("got %v, want flag.ErrHelp", err)
	}
	for _, want := range []string{"-addr", "SHOP_ADDR", "-data-dir", "-mongodb-uri", "MONGODB_URI", "-jwt-secret", "-admin-emails", "-allowed-origins", "-log-level"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help does not mention %s:\n%s", want, out.String())
		}
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	err := run(context.Background(), []string{"-jwt-secret", "short"}, func(string) string { return "" }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("got %v, want an error about the short secret", err)
	}
}

// TestLiveWithOfficialClient runs test/shop with the official socket.io
// client (npm) against a running shop.
func TestLiveWithOfficialClient(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped in -short mode: runs Node")
	}
	root := nodetest.Root(t)
	node := nodetest.Require(t, root, "socket.io-client")
	base, _ := startShop(t)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "test/shop/")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "SHOP_URL="+base)
	cmd.WaitDelay = 5 * time.Second
	if err := nodetest.Run(t, cmd, "node: "); err != nil {
		t.Fatalf("node --test test/shop/: %v (see the log above)", err)
	}
}

// TestGeneratedSecretSurvivesRestart runs the shop twice on one data dir
// with no -jwt-secret: a login made on the first run is accepted by the
// second, which reads the secret the first generated; a shop on another
// data dir, with a secret of its own, refuses it.
func TestGeneratedSecretSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	first := launchShop(t, nil, "-data-dir", dir)
	first.waitReady(t)
	c := newShopClient(t, first.base)
	form := url.Values{"email": {"again@example.com"}, "nickname": {"again1"}, "password": {"pass-word-1"}, "confirmPassword": {"pass-word-1"}}
	if status, body := c.do("POST", "/api/users", form); status != 201 {
		t.Fatalf("sign up: got %d %v, want 201", status, body)
	}
	status, body := c.do("POST", "/api/auth", url.Values{"email": {"again@example.com"}, "password": {"pass-word-1"}})
	token, _ := body["token"].(string)
	if status != 200 || token == "" {
		t.Fatalf("login: got %d %v, want 200 with a token", status, body)
	}
	if err := first.stop(t); err != nil {
		t.Fatalf("first run: got %v, want nil", err)
	}
	secret, err := os.ReadFile(filepath.Join(dir, secretFile))
	if err != nil {
		t.Fatalf("the generated secret is not kept in the data dir: %v", err)
	}
	if strings.Contains(first.logs.String(), strings.TrimSpace(string(secret))) {
		t.Error("the generated secret reached the log")
	}

	second := launchShop(t, nil, "-data-dir", dir)
	second.waitReady(t)
	other := launchShop(t, nil) // a data dir of its own
	other.waitReady(t)
	tests := []struct {
		name, base string
		want       int
	}{
		{"same data dir", second.base, 200},
		{"other data dir", other.base, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The cookie the first run set, and the token in a header.
			c.base = tt.base
			if status, body := c.do("GET", "/api/users/me", nil); status != tt.want {
				t.Errorf("cookie from the first run: got %d %v, want %d", status, body, tt.want)
			}
			anon := newShopClient(t, tt.base)
			if status, body := anon.do("GET", "/api/users/me", nil, "Authorization", "Bearer "+token); status != tt.want {
				t.Errorf("token from the first run: got %d %v, want %d", status, body, tt.want)
			}
		})
	}
}
