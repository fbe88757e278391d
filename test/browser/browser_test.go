// Package browser runs the shop's browser tests: it builds and starts
// cmd/shop on a loopback port with a fresh embedded database, then runs the
// node:test scripts of this directory, which drive Debian's Chromium through
// playwright-core against it.
//
// Needs node, /usr/bin/chromium (or CHROMIUM_PATH) and node_modules (`npm
// ci`). Without them the test is skipped, unless CI is set, when it fails.
// Screenshots land in test-results/screenshots/.
package browser

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/nodetest"
)

const (
	// startTimeout bounds the shop's start: migrations on an empty embedded
	// database included.
	startTimeout = 90 * time.Second
	// runTimeout bounds the whole node test run when `go test` has no deadline.
	runTimeout = 10 * time.Minute
)

func TestBrowser(t *testing.T) {
	root := nodetest.Root(t)
	var missing []string
	if _, err := os.Stat(chromiumPath()); err != nil {
		missing = append(missing, "chromium ("+chromiumPath()+"; apt-get install chromium)")
	}
	if _, err := os.Stat(filepath.Join(root, "web", "assets", "vendor", "socket.io.esm.min.js")); err != nil {
		missing = append(missing, "web/assets/vendor/socket.io.esm.min.js (npm ci)")
	}
	nodetest.Missing(t, missing...)
	node := nodetest.Require(t, root, "playwright-core")

	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	if deadline, ok := t.Deadline(); ok {
		ctx, cancel = context.WithDeadline(context.Background(), deadline.Add(-10*time.Second))
	}
	defer cancel()

	tmp := t.TempDir()
	bin := filepath.Join(tmp, "shop")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/shop")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/shop: %v\n%s", err, out)
	}

	adminEmail := "admin-" + randomHex(t, 6) + "@example.com"
	baseURL := startShop(t, bin, tmp, adminEmail)

	args := []string{"--test"}
	if pattern := os.Getenv("BROWSER_TEST_PATTERN"); pattern != "" {
		args = append(args, "--test-name-pattern="+pattern)
	}
	args = append(args, "test/browser/")
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(),
		"SHOP_URL="+baseURL,
		"SHOP_ADMIN_EMAIL="+adminEmail,
		"SHOP_ADMIN_PASSWORD=Admin-"+randomHex(t, 8)+"!",
		"CHROMIUM_PATH="+chromiumPath(),
	)
	cmd.WaitDelay = 10 * time.Second
	if err := nodetest.Run(t, cmd, ""); err != nil {
		t.Fatalf("node --test test/browser/: %v (screenshots, if any, are in %s)",
			err, filepath.Join(root, "test-results", "screenshots"))
	}
}

func chromiumPath() string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// startShop runs the shop on a free loopback port with its own data
// directory, waits for /healthz and stops it when the test ends. Its log
// goes to a file that is shown if the test fails.
func startShop(t *testing.T, bin, tmp, adminEmail string) string {
	t.Helper()
	addr := freeAddr(t)
	logPath := filepath.Join(tmp, "shop.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatalf("create shop log: %v", err)
	}
	cmd := exec.Command(bin,
		"-addr", addr,
		"-data-dir", filepath.Join(tmp, "data"),
		"-admin-emails", adminEmail,
	)
	cmd.Env = shopEnv()
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start shop: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // exits when the shop does; Cleanup makes sure it does
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		_ = logFile.Close()
		if t.Failed() {
			if log, err := os.ReadFile(logPath); err == nil {
				t.Logf("shop log:\n%s", tail(string(log), 200))
			}
		}
	})

	baseURL := "http://" + addr
	deadline := time.Now().Add(startTimeout)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case err := <-exited:
			exited <- err // for Cleanup
			log, _ := os.ReadFile(logPath)
			t.Fatalf("shop exited before it was healthy: %v\n%s", err, tail(string(log), 50))
		default:
		}
		res, err := client.Get(baseURL + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return baseURL
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s/healthz: not 200 within %s (last error: %v)", baseURL, startTimeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// shopEnv is the test's environment without the shop's own settings, so a
// developer's SHOP_* or MONGODB_URI cannot point the test at a real database.
func shopEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "SHOP_") || strings.HasPrefix(kv, "MONGODB_URI=") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("free port: %v", err)
	}
	return addr
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random: %v", err)
	}
	return hex.EncodeToString(b)
}

func tail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = append([]string{fmt.Sprintf("… %d earlier lines", len(parts)-lines)}, parts[len(parts)-lines:]...)
	}
	return strings.Join(parts, "\n")
}
