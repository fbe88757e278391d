package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// newRunID returns a short random identifier that makes this run's
// nicknames and emails unique, so that runs against the same database
// never collide.
func newRunID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// account is one buyer's identity. Nicknames are "lb" + runID + index:
// letters and digits, at most 20 characters, and the receiver recovers the
// buyer's index from them without a map lookup.
type account struct {
	nickname string
	email    string
	password string
	cookie   string // "Authorization=Bearer%20…", for the handshake's Cookie header
}

func nickPrefix(runID string) string { return "lb" + runID }

func newAccount(runID string, i int) account {
	nick := nickPrefix(runID) + strconv.Itoa(i)
	return account{
		nickname: nick,
		email:    nick + "@load.test",
		password: "Pw-" + runID + "-load!", // 8+ characters, never containing the nickname
	}
}

// loginsPerAddr is how many logins run at once from one source address.
// The shop's login throttle counts an attempt from its start and forgives
// it on success, so more than its limit (5) of concurrent logins from one
// address are refused with 429 even though none fails.
const loginsPerAddr = 4

// signUpAll creates and logs in every account through the REST API,
// concurrently but with few connections (the descriptors belong to the
// sockets), and fills in the cookies. It stops at the first failure: a
// buyer without a login would only measure refusals.
func signUpAll(ctx context.Context, t target, srcs []*net.TCPAddr, accts []account) error {
	if len(srcs) == 0 {
		srcs = []*net.TCPAddr{nil}
	}
	clients := make([]*http.Client, len(srcs))
	for i, src := range srcs {
		nd := &net.Dialer{Timeout: handshakeTimeout}
		if src != nil {
			nd.LocalAddr = src
		}
		tr := &http.Transport{DialContext: nd.DialContext, MaxIdleConnsPerHost: loginsPerAddr, MaxConnsPerHost: loginsPerAddr, DisableCompression: true}
		defer tr.CloseIdleConnections()
		clients[i] = &http.Client{Transport: tr, Timeout: 30 * time.Second}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan int)
	for w := range loginsPerAddr * len(clients) {
		hc := clients[w%len(clients)]
		wg.Add(1)
		go func() { // exits when next is closed or ctx is cancelled
			defer wg.Done()
			for i := range next {
				if err := signUp(ctx, hc, t, &accts[i]); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
				}
			}
		}()
	}
feed:
	for i := range accts {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

func signUp(ctx context.Context, hc *http.Client, t target, a *account) error {
	body := map[string]string{"email": a.email, "nickname": a.nickname, "password": a.password, "confirmPassword": a.password}
	if _, err := postJSON(ctx, hc, t.apiURL("/api/users"), body, http.StatusCreated); err != nil {
		return fmt.Errorf("sign up %s: %w", a.nickname, err)
	}
	resp, err := postJSON(ctx, hc, t.apiURL("/api/auth"), map[string]string{"email": a.email, "password": a.password}, http.StatusOK)
	if err != nil {
		return fmt.Errorf("log in %s: %w", a.nickname, err)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "Authorization" && c.Value != "" {
			a.cookie = (&http.Cookie{Name: c.Name, Value: c.Value}).String()
			return nil
		}
	}
	return fmt.Errorf("log in %s: no Authorization cookie in the response", a.nickname)
}

func postJSON(ctx context.Context, hc *http.Client, url string, v any, want int) (*http.Response, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	if resp.StatusCode != want {
		return nil, fmt.Errorf("POST %s: status %d: %s", url, resp.StatusCode, bytes.TrimSpace(msg))
	}
	return resp, nil
}
