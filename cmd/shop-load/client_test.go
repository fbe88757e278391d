package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeShop is a minimal server speaking raw Engine.IO v4 / Socket.IO v5 over
// both transports, with the shop's sign-up, login and BUY -> BUY_GOODS
// behaviour. It pings every session once right after the handshake and
// counts the pongs, and it can drop chosen deliveries, so that the tests
// see the tool notice a loss.
type fakeShop struct {
	mu       sync.Mutex
	users    map[string]string // email -> nickname
	tokens   map[string]string // token -> nickname
	sessions map[string]*fakeSession
	nextID   int
	pongs    atomic.Int64
	buys     atomic.Int64
	// drop, when set, reports whether the n-th delivery (counted from 1)
	// to session sid is to be left out.
	drop func(sid string, n int) bool
	// hold, when set, is how long to stall the next poll of session sid
	// that has been sent n deliveries; polling sessions only.
	hold func(sid string, n int) time.Duration
}

type fakeSession struct {
	sid      string
	nickname string
	ws       *websocket.Conn
	wmu      sync.Mutex
	queue    chan []byte // polling
	sent     int         // BUY_GOODS deliveries, under fakeShop.mu
	postBody []byte
}

func newFakeShop() *fakeShop {
	return &fakeShop{users: map[string]string{}, tokens: map[string]string{}, sessions: map[string]*fakeSession{}}
}

func (f *fakeShop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/api/users" && r.Method == http.MethodPost:
		var b map[string]string
		if json.NewDecoder(r.Body).Decode(&b) != nil || b["password"] != b["confirmPassword"] {
			http.Error(w, `{"errorMessage":"bad"}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.users[b["email"]] = b["nickname"]
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "{}")
	case r.URL.Path == "/api/auth" && r.Method == http.MethodPost:
		var b map[string]string
		_ = json.NewDecoder(r.Body).Decode(&b)
		f.mu.Lock()
		nick, ok := f.users[b["email"]]
		token := fmt.Sprintf("tok%d", len(f.tokens))
		f.tokens[token] = nick
		f.mu.Unlock()
		if !ok {
			http.Error(w, `{"errorMessage":"bad"}`, http.StatusBadRequest)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: "Authorization", Value: "Bearer%20" + token, Path: "/"})
		io.WriteString(w, `{"token":"`+token+`"}`)
	case r.URL.Path == "/socket.io/" && r.URL.Query().Get("EIO") == "4":
		f.engineIO(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeShop) nicknameOf(r *http.Request) string {
	c, err := r.Cookie("Authorization")
	if err != nil {
		return ""
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokens[strings.TrimPrefix(c.Value, "Bearer%20")]
}

func (f *fakeShop) newSession(r *http.Request) *fakeSession {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	s := &fakeSession{sid: "s" + strconv.Itoa(f.nextID), queue: make(chan []byte, 1024)}
	f.sessions[s.sid] = s
	return s
}

func openPacketFor(sid string) []byte {
	return []byte(`0{"sid":"` + sid + `","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}`)
}

func (f *fakeShop) engineIO(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case q.Get("transport") == "websocket":
		up := websocket.Upgrader{}
		conn, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		s := f.newSession(r)
		s.nickname = f.nicknameOf(r)
		s.ws = conn
		s.send(openPacketFor(s.sid))
		for {
			_, p, err := conn.ReadMessage()
			if err != nil {
				f.mu.Lock()
				delete(f.sessions, s.sid)
				f.mu.Unlock()
				return
			}
			f.packet(s, p)
		}
	case q.Get("sid") == "" && r.Method == http.MethodGet:
		s := f.newSession(r)
		s.nickname = f.nicknameOf(r)
		w.Write(openPacketFor(s.sid))
	default:
		f.mu.Lock()
		s := f.sessions[q.Get("sid")]
		f.mu.Unlock()
		if s == nil {
			http.Error(w, `{"code":1,"message":"Session ID unknown"}`, http.StatusBadRequest)
			return
		}
		if r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			for p := range bytes.SplitSeq(body, []byte{0x1e}) {
				f.packet(s, p)
			}
			io.WriteString(w, "ok")
			return
		}
		if f.hold != nil {
			f.mu.Lock()
			d := f.hold(s.sid, s.sent)
			f.mu.Unlock()
			time.Sleep(d)
		}
		select {
		case p := <-s.queue:
			out := [][]byte{p}
		more:
			for {
				select {
				case p := <-s.queue:
					out = append(out, p)
				default:
					break more
				}
			}
			w.Write(bytes.Join(out, []byte{0x1e}))
		case <-time.After(time.Second):
			w.Write([]byte("6")) // noop keeps the poll cycling in tests
		case <-r.Context().Done():
			f.mu.Lock()
			delete(f.sessions, s.sid)
			f.mu.Unlock()
		}
	}
}

func (s *fakeSession) send(p []byte) {
	if s.ws != nil {
		s.wmu.Lock()
		defer s.wmu.Unlock()
		_ = s.ws.WriteMessage(websocket.TextMessage, p)
		return
	}
	s.queue <- p
}

// packet handles one packet from a client, as the shop would.
func (f *fakeShop) packet(s *fakeSession, p []byte) {
	switch {
	case string(p) == "40":
		s.send([]byte(`40{"sid":"x` + s.sid + `"}`))
		s.send([]byte("2")) // a server ping, answered by the client
	case string(p) == "3":
		f.pongs.Add(1)
	case bytes.HasPrefix(p, []byte("42")):
		i := 2
		for i < len(p) && p[i] >= '0' && p[i] <= '9' {
			i++
		}
		ackID := string(p[2:i])
		var args []json.RawMessage
		if json.Unmarshal(p[i:], &args) != nil || len(args) != 2 || string(args[0]) != `"BUY"` {
			return
		}
		var buy struct {
			GoodsID int `json:"goodsId"`
		}
		_ = json.Unmarshal(args[1], &buy)
		if s.nickname == "" {
			s.send([]byte("43" + ackID + `[{"errorMessage":"로그인 후 이용 가능한 기능입니다."}]`))
			return
		}
		f.buys.Add(1)
		msg := fmt.Appendf(nil, `42["BUY_GOODS",{"nickname":%q,"goodsId":%d,"goodsName":"g","date":"%s"}]`,
			s.nickname, buy.GoodsID, time.Now().UTC().Format("2006-01-02T15:04:05.000Z"))
		// Broadcast first, acknowledge after, as both real servers do.
		f.mu.Lock()
		targets := make([]*fakeSession, 0, len(f.sessions))
		for _, t := range f.sessions {
			t.sent++
			if f.drop == nil || !f.drop(t.sid, t.sent) {
				targets = append(targets, t)
			}
		}
		f.mu.Unlock()
		for _, t := range targets {
			t.send(msg)
		}
		s.send([]byte("43" + ackID + `[{"order":{}}]`))
	}
}

func runAgainst(t *testing.T, srv *httptest.Server, cfg config) *result {
	t.Helper()
	tg, err := parseTarget(t.Context(), srv.URL, "/socket.io/", false)
	if err != nil {
		t.Fatalf("parseTarget: %v", err)
	}
	r := newRunner(cfg, tg, newRunID(), io.Discard)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	res, err := r.run(ctx)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func testConfig(transport string, clients, buyers int, rates ...float64) config {
	return config{
		Transport: transport, Reader: "epoll", Clients: clients, Buyers: buyers, Rates: rates,
		RampRate: 500, Duration: 500 * time.Millisecond, Drain: 3 * time.Second,
		P99Limit: time.Hour, SrcAddrs: 2, ReadBuffer: 1024, Quiet: true,
	}
}

func TestRunDeliversEveryPurchaseToEveryClient(t *testing.T) {
	for _, mode := range []struct{ transport, reader string }{
		{"websocket", "epoll"}, {"websocket", "goroutine"}, {"polling", ""},
	} {
		t.Run(mode.transport+" "+mode.reader, func(t *testing.T) {
			f := newFakeShop()
			srv := httptest.NewServer(f)
			defer srv.Close()
			const clients, buyers = 12, 3
			cfg := testConfig(mode.transport, clients, buyers, 20, 40)
			cfg.Reader = mode.reader
			res := runAgainst(t, srv, cfg)

			if res.Connected != clients || res.Failed != 0 || res.Disconnected != 0 {
				t.Errorf("connected %d, failed %d, dropped %d; want %d, 0, 0 (failures %v)", res.Connected, res.Failed, res.Disconnected, clients, res.Failures)
			}
			if got := f.pongs.Load(); got != clients {
				t.Errorf("pongs = %d, want %d: every client answers the server's ping", got, clients)
			}
			if len(res.Steps) != 2 {
				t.Fatalf("steps = %d, want 2", len(res.Steps))
			}
			var acked uint64
			for i, s := range res.Steps {
				acked += s.Acked
				if s.Acked == 0 || s.Acked != s.Emitted {
					t.Errorf("step %d: acked %d of %d emitted, want all and more than none", i, s.Acked, s.Emitted)
				}
				if s.Receivers != clients || s.Received != s.Acked*clients || s.Lost != 0 {
					t.Errorf("step %d: %d receivers received %d (lost %d), want %d receivers, %d received, 0 lost", i, s.Receivers, s.Received, s.Lost, clients, s.Acked*clients)
				}
				if s.Latency.Count != s.Received {
					t.Errorf("step %d: latency samples %d, want one per receipt (%d)", i, s.Latency.Count, s.Received)
				}
			}
			if got := uint64(f.buys.Load()); got != acked {
				t.Errorf("server recorded %d purchases, tool counted %d acknowledged", got, acked)
			}
			if res.Uncorrelated != 0 || res.Foreign != 0 {
				t.Errorf("uncorrelated %d, foreign %d; want 0, 0", res.Uncorrelated, res.Foreign)
			}
		})
	}
}

func TestRunCountsLostDeliveries(t *testing.T) {
	f := newFakeShop()
	// The fifth and the sixth BUY_GOODS to the third session never leave.
	f.drop = func(sid string, n int) bool { return sid == "s3" && (n == 5 || n == 6) }
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := testConfig("websocket", 6, 2, 40)
	cfg.Drain = 500 * time.Millisecond
	res := runAgainst(t, srv, cfg)
	if len(res.Steps) != 1 {
		t.Fatalf("steps = %d, want 1", len(res.Steps))
	}
	s := res.Steps[0]
	if s.Acked < 6 {
		t.Fatalf("acked = %d, want at least 6 for the drop to happen", s.Acked)
	}
	if s.Lost != 2 || res.Lost != 2 {
		t.Errorf("lost = %d (total %d), want 2", s.Lost, res.Lost)
	}
	if s.Sustained {
		t.Errorf("sustained = true with losses, want false")
	}
	if s.Latency.Count != s.Received {
		t.Errorf("latency samples %d, want one per receipt (%d)", s.Latency.Count, s.Received)
	}
}

func TestRunCountsRefusedPurchases(t *testing.T) {
	f := newFakeShop()
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := testConfig("websocket", 4, 2, 20)
	cfg.NoAuth, cfg.BuyEvent = true, true // anonymous buyers, refused by this server
	res := runAgainst(t, srv, cfg)
	s := res.Steps[0]
	if s.Refused == 0 || s.Acked != 0 || s.Refused != s.Emitted {
		t.Errorf("refused %d, acked %d of %d emitted; want every purchase refused", s.Refused, s.Acked, s.Emitted)
	}
	if len(res.Failures) == 0 {
		t.Errorf("failures empty, want the refusal's message recorded")
	}
}

func TestRunReportsConnectFailures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"code":3,"message":"Bad request"}`, http.StatusBadRequest)
	}))
	defer srv.Close()
	res := runAgainst(t, srv, testConfig("websocket", 5, 0, 0))
	if res.Connected != 0 || res.Failed != 5 {
		t.Errorf("connected %d, failed %d; want 0, 5", res.Connected, res.Failed)
	}
	if res.Failures["websocket upgrade: HTTP 400"] != 5 {
		t.Errorf("failures = %v, want 5 × websocket upgrade: HTTP 400", res.Failures)
	}
}

func TestRunWaitsForLateDeliveries(t *testing.T) {
	f := newFakeShop()
	held := false
	// Once a watcher has been sent three deliveries, its next poll stalls
	// past the drain: the deliveries are late, not lost. (Sessions open
	// concurrently, so which sid a watcher gets varies; a stalled buyer
	// would hold back acknowledgements instead.)
	f.hold = func(sid string, n int) time.Duration {
		s := f.sessions[sid] // hold runs under f.mu
		if s != nil && s.nickname == "" && n >= 3 && !held {
			held = true
			return 1500 * time.Millisecond
		}
		return 0
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	cfg := testConfig("polling", 4, 2, 20)
	cfg.Drain = 200 * time.Millisecond
	cfg.LateWait = 10 * time.Second
	res := runAgainst(t, srv, cfg)
	s := res.Steps[0]
	if s.Lost != 0 || s.Received != s.Expected {
		t.Errorf("lost %d, received %d of %d; want every delivery counted after the late wait", s.Lost, s.Received, s.Expected)
	}
	if s.Sustained || !strings.Contains(s.Verdict, "arrived after the drain") {
		t.Errorf("sustained %v, verdict %q; want not sustained, late deliveries named", s.Sustained, s.Verdict)
	}
}
