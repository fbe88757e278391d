package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"
)

// TestShopsShareBuyGoodsThroughRedis runs two shops with -redis-url on one
// database: A with the embedded one, B pointed at A's embedded server with
// -mongodb-uri. An order placed on A reaches a socket connected to B.
func TestShopsShareBuyGoodsThroughRedis(t *testing.T) {
	redisURL := startRedisServer(t)
	const secret = "a-secret-long-enough-for-hs256-signing-000"
	baseA, logsA := startShop(t, "-redis-url", redisURL, "-jwt-secret", secret)
	m := embeddedAddrRE.FindStringSubmatch(logsA.String())
	if m == nil {
		t.Fatalf("shop A did not log its embedded database's address:\n%s", logsA)
	}
	baseB, logsB := startShop(t, "-redis-url", redisURL, "-jwt-secret", secret, "-mongodb-uri", "mongodb://"+m[1]+"/")
	for name, logs := range map[string]*logSink{"A": logsA, "B": logsB} {
		if !strings.Contains(logs.String(), "sharing broadcasts through redis") {
			t.Errorf("shop %s does not say it shares broadcasts through Redis:\n%s", name, logs)
		}
	}
	if !strings.Contains(logsB.String(), "msg=ready database=mongodb") {
		t.Errorf("shop B does not use A's database:\n%s", logsB)
	}

	opts, _ := redis.ParseURL(redisURL)
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	waitSubscribed(t, rdb, 2)

	onB := dialSocket(t, baseB)
	onA := dialSocket(t, baseA)

	buyer := newShopClient(t, baseA)
	signUp := url.Values{"email": {"cluster@example.com"}, "nickname": {"cluster1"}, "password": {"pass-word-1"}, "confirmPassword": {"pass-word-1"}}
	if status, body := buyer.do("POST", "/api/users", signUp); status != 201 {
		t.Fatalf("sign up on A: got %d %v, want 201", status, body)
	}
	if status, body := buyer.do("POST", "/api/auth", url.Values{"email": {"cluster@example.com"}, "password": {"pass-word-1"}}); status != 200 {
		t.Fatalf("log in on A: got %d %v, want 200", status, body)
	}
	if status, body := buyer.do("POST", "/api/orders", `{"items":[{"goodsId":5,"quantity":1}]}`); status != 201 {
		t.Fatalf("order on A: got %d %v, want 201", status, body)
	}

	for name, c := range map[string]*websocket.Conn{"B": onB, "A": onA} {
		var got struct {
			Nickname  string `json:"nickname"`
			GoodsID   int64  `json:"goodsId"`
			GoodsName string `json:"goodsName"`
		}
		if err := json.Unmarshal(nextEvent(t, c, "BUY_GOODS"), &got); err != nil {
			t.Fatal(err)
		}
		if got.Nickname != "cluster1" || got.GoodsID != 5 || got.GoodsName != "치즈케이크" {
			t.Errorf("socket on %s: got BUY_GOODS %+v, want cluster1 / 5 / 치즈케이크", name, got)
		}
	}
}

// TestShopsShareViewerCountsThroughRedis runs two shops sharing Redis and
// shows that the viewers of a page on either see the count of both, as
// viewers come, and as they go.
func TestShopsShareViewerCountsThroughRedis(t *testing.T) {
	redisURL := startRedisServer(t)
	baseA, _ := startShop(t, "-redis-url", redisURL)
	baseB, _ := startShop(t, "-redis-url", redisURL)
	opts, _ := redis.ParseURL(redisURL)
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	waitSubscribed(t, rdb, 2)

	const page = `42["CHANGED_PAGE","/detail.html?goodsId=4"]`
	view := func(c *websocket.Conn) {
		t.Helper()
		if err := c.WriteMessage(websocket.TextMessage, []byte(page)); err != nil {
			t.Fatal(err)
		}
	}
	onA, onB := dialSocket(t, baseA), dialSocket(t, baseB)
	view(onA)
	waitViewerCount(t, onA, "1")
	view(onB)
	waitViewerCount(t, onB, "2")
	waitViewerCount(t, onA, "2")
	onB2 := dialSocket(t, baseB)
	view(onB2)
	for _, c := range []*websocket.Conn{onA, onB, onB2} {
		waitViewerCount(t, c, "3")
	}
	onB.Close()
	onB2.Close()
	waitViewerCount(t, onA, "1")
}

// waitViewerCount reads the viewer counts c receives until one is want:
// counts converge, and one on the way may precede the total.
func waitViewerCount(t *testing.T, c *websocket.Conn, want string) {
	t.Helper()
	for {
		if got := string(nextEvent(t, c, "SAME_PAGE_VIEWER_COUNT")); got == want {
			return
		}
	}
}

// TestShopStartsWithoutRedis starts a shop whose Redis does not answer: it
// serves, and says so in its log.
func TestShopStartsWithoutRedis(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	base, logs := startShop(t, "-redis-url", "redis://"+addr)
	if !strings.Contains(logs.String(), "redis does not answer") {
		t.Errorf("the shop does not warn that Redis does not answer:\n%s", logs)
	}
	c := dialSocket(t, base)
	if err := c.WriteMessage(websocket.TextMessage, []byte(`42["CHANGED_PAGE","/"]`)); err != nil {
		t.Fatal(err)
	}
	if got := string(nextEvent(t, c, "SAME_PAGE_VIEWER_COUNT")); got != "1" {
		t.Errorf("got viewer count %s, want 1", got)
	}
}

func TestRedisURLFlag(t *testing.T) {
	var help bytes.Buffer
	_ = run(context.Background(), []string{"-h"}, func(string) string { return "" }, &help)
	for _, want := range []string{"-redis-url", "SHOP_REDIS_URL"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("help does not mention %s:\n%s", want, help.String())
		}
	}
	tests := []struct {
		url     string
		wantErr bool
	}{
		{"redis://127.0.0.1:6379/0", false},
		{"rediss://user:secret@redis.example:6380", false},
		{"http://redis.example", true},
		{"redis://:very-secret@host:notaport", true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			cfg, err := parseConfig(nil, func(k string) string {
				if k == "SHOP_REDIS_URL" {
					return tt.url
				}
				return ""
			}, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("got error %v, want error %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("got error %q, which quotes the password", err)
			}
			if err == nil && cfg.RedisURL != tt.url {
				t.Errorf("got RedisURL %q, want %q", cfg.RedisURL, tt.url)
			}
		})
	}
}

var embeddedAddrRE = regexp.MustCompile(`msg="embedded database started" .*addr=(\S+)`)

// startRedisServer runs redis-server on a free loopback port until the test
// ends and returns its URL. Without redis-server the test is skipped,
// except in CI, where it fails.
func startRedisServer(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is missing (apt-get install redis-server)")
		}
		t.Skip("redis-server is missing; apt-get install redis-server to run this test")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	var out bytes.Buffer
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reaps redis-server; ends when it exits
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server does not answer on %s:\n%s", addr, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "redis://" + addr + "/0"
}

// waitSubscribed waits until n shops subscribe to the requests of
// namespace "/"; each subscribes to the broadcasts before.
func waitSubscribed(t *testing.T, rdb *redis.Client, n int64) {
	t.Helper()
	const channel = "socket.io-request#/#"
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := rdb.PubSubNumSub(context.Background(), channel).Result()
		if err == nil && res[channel] == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d shops subscribed (%v), want %d", res[channel], err, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// dialSocket connects a raw Socket.IO client over WebSocket to the shop at
// base; it is closed when the test ends.
func dialSocket(t *testing.T, base string) *websocket.Conn {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
	c, _, err := websocket.DefaultDialer.Dial(u, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.WriteMessage(websocket.TextMessage, []byte("40")); err != nil {
		t.Fatal(err)
	}
	for {
		msg := readText(t, c)
		if strings.HasPrefix(msg, "40{") {
			return c
		}
	}
}

// nextEvent returns the first argument of the next event named name,
// answering pings and skipping other packets meanwhile.
func nextEvent(t *testing.T, c *websocket.Conn, name string) json.RawMessage {
	t.Helper()
	prefix := `42["` + name + `",`
	for {
		msg := readText(t, c)
		if !strings.HasPrefix(msg, prefix) {
			continue
		}
		var args []json.RawMessage
		if err := json.Unmarshal([]byte(msg[2:]), &args); err != nil || len(args) < 2 {
			t.Fatalf("got %q, want an event with an argument", msg)
		}
		return args[1]
	}
}

// readText reads the next text message, answering pings; a silence of 30s
// fails the test.
func readText(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	for {
		_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if string(data) == "2" {
			_ = c.WriteMessage(websocket.TextMessage, []byte("3"))
			continue
		}
		return string(data)
	}
}
