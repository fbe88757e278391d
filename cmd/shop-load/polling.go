package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// pollTimeout bounds one long-poll: the server answers a pending GET at
// least every pingInterval (25 s by default) with a ping.
const pollTimeout = 70 * time.Second

// newPollClients returns one HTTP client per source address. Each polling
// session keeps a GET pending and sends POSTs beside it, so a transport
// holds about two connections per session.
func newPollClients(srcs []*net.TCPAddr, perAddr int) []*http.Client {
	mk := func(src *net.TCPAddr) *http.Client {
		nd := &net.Dialer{Timeout: handshakeTimeout}
		if src != nil {
			nd.LocalAddr = src
		}
		return &http.Client{Transport: &http.Transport{
			DialContext:         nd.DialContext,
			MaxIdleConnsPerHost: 2*perAddr + 16,
			IdleConnTimeout:     2 * pollTimeout,
			DisableCompression:  true,
			WriteBufferSize:     1024,
			ReadBufferSize:      4096,
		}}
	}
	if len(srcs) == 0 {
		return []*http.Client{mk(nil)}
	}
	out := make([]*http.Client, len(srcs))
	for i, s := range srcs {
		out[i] = mk(s)
	}
	return out
}

// pollSession is an Engine.IO long-polling session.
type pollSession struct {
	hc     *http.Client
	url    string // with the sid
	cookie string
	mu     sync.Mutex // one POST at a time, as Engine.IO servers require
}

func (s *pollSession) do(ctx context.Context, method string, body []byte, into *bytes.Buffer) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.url, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
	}
	if s.cookie != "" {
		req.Header.Set("Cookie", s.cookie)
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if into != nil {
		into.Reset()
		_, err = into.ReadFrom(io.LimitReader(resp.Body, 10<<20))
	} else {
		_, err = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: HTTP %d", method, resp.StatusCode)
	}
	return err
}

func (s *pollSession) post(ctx context.Context, p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return s.do(ctx, http.MethodPost, p, nil)
}

// sendAsync posts a purchase without blocking the scheduler. The goroutine
// belongs to the runner's wait group and ends with the POST (10 s at most).
func (s *pollSession) sendAsync(r *runner, p []byte) error {
	frame := bytes.Clone(p)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		_ = s.post(r.connCtx, frame) // a failed POST surfaces as a lost ack
	}()
	return nil
}

// runPoll is the life of one polling client: handshake, CONNECT, then one
// GET after another until the run's connection context ends.
func (r *runner) runPoll(ctx context.Context, c *client, hc *http.Client) {
	s := &pollSession{hc: hc, url: r.pollURL}
	if c.buyer != nil {
		s.cookie = c.buyer.acct.cookie
	}
	var body bytes.Buffer
	hctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	err := s.do(hctx, http.MethodGet, nil, &body)
	cancel()
	if err != nil {
		r.lost(c, "handshake: "+shortErr(err))
		return
	}
	open, err := parseOpen(body.Bytes())
	if err != nil {
		r.lost(c, err.Error())
		return
	}
	s.url = r.pollURL + "&sid=" + open.SID
	if err := s.post(ctx, frameConnect); err != nil {
		r.lost(c, "write CONNECT: "+shortErr(err))
		return
	}
	c.poll.Store(s)
	for {
		gctx, cancel := context.WithTimeout(ctx, pollTimeout)
		err := s.do(gctx, http.MethodGet, nil, &body)
		cancel()
		if err != nil {
			if errors.Is(err, context.Canceled) {
				err = errors.New("stopped")
			}
			r.lost(c, "poll: "+shortErr(err))
			return
		}
		for p := range bytes.SplitSeq(body.Bytes(), []byte{0x1e}) {
			switch classify(p) {
			case kindConnected:
				if c.state.Load() == statePending {
					r.connected(c)
				}
				continue
			case kindConnectError:
				r.lost(c, "connect_error: "+truncate(p[2:], 120))
				return
			}
			reply, done := r.handle(c, p)
			if done {
				r.lost(c, "closed by server")
				return
			}
			if reply != nil {
				if err := s.post(ctx, reply); err != nil {
					r.lost(c, "write: "+shortErr(err))
					return
				}
			}
		}
	}
}
