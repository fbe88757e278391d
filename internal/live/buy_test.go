package live

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/livebuy/shop/internal/auth"
	"github.com/livebuy/shop/internal/database/dbtest"
	"github.com/livebuy/shop/internal/errs"
	"github.com/livebuy/shop/internal/goods"
	"github.com/livebuy/shop/internal/realtime"
)

// msgOrderNotStored is what goods says of an order it could not write.
const msgOrderNotStored = "주문을 저장하지 못했습니다. 잠시 후 다시 시도해 주세요."

// TestRefusedBuyBroadcastsNothing sends BUYs that must fail, one of them
// because the order cannot be written, through the real order service and
// Socket.IO endpoint on loopback. Each must be refused through its ack and
// reach no client as BUY_GOODS: a successful BUY follows each, and the next
// BUY_GOODS every client receives must be that one's.
func TestRefusedBuyBroadcastsNothing(t *testing.T) {
	buyer := auth.Principal{UserID: bson.NewObjectID().Hex(), Email: "buyer@shop.test", Nickname: "realbuyer"}
	sh := newLiveShop(t, map[string]auth.Principal{"buyer-token": buyer})

	// The buyer signs in through the cookie, as browsers do.
	buyerC := sh.dial(t, http.Header{"Cookie": {auth.CookieName + "=Bearer%20buyer-token"}}, "")
	anon := sh.dial(t, nil, "")
	forged := sh.dial(t, nil, `{"token":"not-a-token"}`)
	watcher := sh.dial(t, nil, "")
	everyone := []*sioClient{buyerC, anon, forged, watcher}

	tests := []struct {
		name    string
		from    *sioClient
		payload any
		wantMsg string // the exact errorMessage, or with contains a part of it
		contain bool
	}{
		// The store fails to write orders of goods 3 (see failingStore).
		{"order write fails", buyerC, map[string]any{"nickname": "spoof", "goodsId": 3, "goodsName": "가짜"}, msgOrderNotStored, false},
		{"order write fails, form-style numbers", buyerC, map[string]any{"goodsId": "3", "quantity": "2"}, msgOrderNotStored, false},
		{"anonymous", anon, map[string]any{"nickname": "spoof", "goodsId": 1, "goodsName": "아메리카노"}, auth.MsgLoginRequired, false},
		{"invalid token", forged, map[string]any{"goodsId": 1}, auth.MsgLoginRequired, false},
		{"unknown goods", buyerC, map[string]any{"goodsId": 9999}, "9999", true},
		{"no goodsId", buyerC, map[string]any{"nickname": "spoof"}, msgBadBuy, false},
		{"not an object", buyerC, "BUY", msgBadBuy, false},
		{"operator object", buyerC, map[string]any{"goodsId": map[string]any{"$gt": 0}}, msgBadBuy, false},
		{"quantity 0", buyerC, map[string]any{"goodsId": 1, "quantity": 0}, "", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ack := tt.from.emitWithAck(t, EventBuy, tt.payload)
			var got map[string]any
			if err := json.Unmarshal(ack, &got); err != nil {
				t.Fatalf("got ack %s, want a JSON object", ack)
			}
			msg, _ := got["errorMessage"].(string)
			switch {
			case len(got) != 1 || msg == "":
				t.Errorf("got ack %s, want only a non-empty errorMessage", ack)
			case tt.contain && !strings.Contains(msg, tt.wantMsg):
				t.Errorf("got errorMessage %q, want it to contain %q", msg, tt.wantMsg)
			case !tt.contain && msg != tt.wantMsg:
				t.Errorf("got errorMessage %q, want %q", msg, tt.wantMsg)
			}
			if tt.from.pendingEvent(EventBuyGoods) {
				t.Errorf("the refused BUY's sender got BUY_GOODS before its ack")
			}

			// A successful BUY now; any BUY_GOODS of the refused one would
			// have been queued to every client before this one's.
			sentinel := buyerC.emitWithAck(t, EventBuy, map[string]any{"goodsId": 5, "nickname": "spoof"})
			var order struct {
				Order struct {
					Items []struct{ GoodsID int64 } `json:"items"`
				} `json:"order"`
			}
			if err := json.Unmarshal(sentinel, &order); err != nil || len(order.Order.Items) != 1 || order.Order.Items[0].GoodsID != 5 {
				t.Fatalf("got ack %s for the following BUY, want an order of goods 5", sentinel)
			}
			for j, c := range everyone {
				var ev buyGoods
				if err := json.Unmarshal(c.nextEvent(t, EventBuyGoods), &ev); err != nil {
					t.Fatal(err)
				}
				if ev.GoodsID != 5 || ev.Nickname != buyer.Nickname || ev.GoodsName != "치즈케이크" {
					t.Errorf("client %d: got BUY_GOODS %+v first, want the following BUY's (realbuyer, 5, 치즈케이크)", j, ev)
				}
			}
			// Only the successful BUYs were recorded.
			list, err := sh.orders.List(t.Context(), buyer.UserID)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != i+1 {
				t.Errorf("got %d orders recorded, want %d", len(list), i+1)
			}
			for _, o := range list {
				if o.Lines[0].GoodsID != 5 {
					t.Errorf("got an order of goods %d recorded, want only goods 5", o.Lines[0].GoodsID)
				}
			}
		})
	}
	if got := sh.store.failed(); got != 2 {
		t.Errorf("got %d failed order writes, want 2: the write failure was not exercised", got)
	}
}

// liveShop is the shop's real-time endpoint wired as cmd/shop wires it,
// with the real order service on an embedded database, served on loopback.
type liveShop struct {
	url    string
	store  *failingStore
	orders *goods.OrderService
}

func newLiveShop(t *testing.T, users map[string]auth.Principal) *liveShop {
	t.Helper()
	store := &failingStore{Store: goods.NewMongoStore(dbtest.Migrated(t)), failGoods: 3}
	sio := realtime.NewServer(realtime.Options{})
	root := sio.Of("/")
	orders := goods.NewOrderService(store, goods.NewCatalog(store, goods.CatalogOptions{}), NewBroadcaster(root, nil), nil)
	Attach(root, Config{Auth: tokenTable(users), Orders: orders})
	srv := httptest.NewServer(sio)
	t.Cleanup(srv.Close)
	t.Cleanup(func() {
		// Before srv.Close: net/http does not close WebSocket connections.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := sio.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return &liveShop{url: srv.URL, store: store, orders: orders}
}

// tokenTable authenticates the tokens it maps to users.
type tokenTable map[string]auth.Principal

func (tt tokenTable) Authenticate(_ context.Context, token string) (auth.Principal, error) {
	p, ok := tt[token]
	if !ok {
		return auth.Principal{}, errs.E(errs.Unauthorized, auth.MsgLoginRequired)
	}
	return p, nil
}

// failingStore is the real store, except that writing an order whose
// first line is of goods failGoods fails as a lost connection would.
type failingStore struct {
	goods.Store
	failGoods int64

	mu       sync.Mutex
	failures int // guarded by mu
}

func (f *failingStore) InsertOrder(ctx context.Context, o goods.Order) (string, error) {
	if len(o.Lines) > 0 && o.Lines[0].GoodsID == f.failGoods {
		f.mu.Lock()
		f.failures++
		f.mu.Unlock()
		return "", errors.New("injected: connection reset by peer")
	}
	return f.Store.InsertOrder(ctx, o)
}

func (f *failingStore) failed() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.failures
}

// sioClient is a minimal Socket.IO v5 client over a raw Engine.IO v4
// WebSocket, speaking text frames only. It is used from the test goroutine.
type sioClient struct {
	conn    *websocket.Conn
	nextAck int
	pending []string // event packets read while waiting for an ack
}

// dial connects to namespace "/" with the given handshake header and
// CONNECT auth payload ("" for none), and closes the connection when the
// test ends.
func (sh *liveShop) dial(t *testing.T, header http.Header, authJSON string) *sioClient {
	t.Helper()
	u := "ws" + strings.TrimPrefix(sh.url, "http") + "/socket.io/?EIO=4&transport=websocket"
	conn, res, err := websocket.DefaultDialer.Dial(u, header)
	if err != nil {
		t.Fatalf("dial %s: %v", u, err)
	}
	res.Body.Close()
	t.Cleanup(func() { conn.Close() })
	c := &sioClient{conn: conn, nextAck: 1}
	if open := c.read(t); !strings.HasPrefix(open, "0{") {
		t.Fatalf("got %q, want an Engine.IO open packet", open)
	}
	c.write(t, "40"+authJSON)
	for {
		msg := c.read(t)
		switch {
		case strings.HasPrefix(msg, "40{"):
			return c
		case strings.HasPrefix(msg, "44"):
			t.Fatalf("connect refused: %s", msg)
		}
	}
}

func (c *sioClient) write(t *testing.T, msg string) {
	t.Helper()
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatalf("write %q: %v", msg, err)
	}
}

// read returns the next packet, answering pings; a silence of 30s fails
// the test.
func (c *sioClient) read(t *testing.T) string {
	t.Helper()
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		_, data, err := c.conn.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if string(data) == "2" {
			c.write(t, "3")
			continue
		}
		return string(data)
	}
}

// emitWithAck emits event with one argument and returns the first argument
// of its acknowledgement; events read meanwhile are kept for nextEvent.
func (c *sioClient) emitWithAck(t *testing.T, event string, arg any) json.RawMessage {
	t.Helper()
	id := strconv.Itoa(c.nextAck)
	c.nextAck++
	payload, err := json.Marshal([]any{event, arg})
	if err != nil {
		t.Fatal(err)
	}
	c.write(t, "42"+id+string(payload))
	prefix := "43" + id + "["
	for {
		msg := c.read(t)
		if !strings.HasPrefix(msg, prefix) {
			if strings.HasPrefix(msg, "42") {
				c.pending = append(c.pending, msg)
			}
			continue
		}
		var args []json.RawMessage
		if err := json.Unmarshal([]byte(msg[len(prefix)-1:]), &args); err != nil || len(args) == 0 {
			t.Fatalf("got ack %q, want one with an argument", msg)
		}
		return args[0]
	}
}

// pendingEvent reports whether an event named name was read while waiting
// for an ack and not consumed yet.
func (c *sioClient) pendingEvent(name string) bool {
	for _, msg := range c.pending {
		if strings.HasPrefix(msg, `42["`+name+`"`) {
			return true
		}
	}
	return false
}

// nextEvent returns the first argument of the next event named name, kept
// or read, dropping other events before it.
func (c *sioClient) nextEvent(t *testing.T, name string) json.RawMessage {
	t.Helper()
	prefix := `42["` + name + `",`
	for {
		var msg string
		if len(c.pending) > 0 {
			msg, c.pending = c.pending[0], c.pending[1:]
		} else {
			msg = c.read(t)
		}
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
