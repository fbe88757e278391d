package redisadapter

import (
	"encoding/json"
	"testing"

	"github.com/livebuy/shop/internal/realtime/parser"
)

// buyGoods is the shop's purchase announcement as it is emitted.
var buyGoods = []any{"BUY_GOODS", json.RawMessage(`{"nickname":"buyer1234","goodsId":5,"goodsName":"치즈케이크","date":"2024-01-02T03:04:05.678Z"}`)}

// BenchmarkEncodeBroadcast is the sending server's extra work per
// broadcast: one MessagePack message, whatever the number of servers.
func BenchmarkEncodeBroadcast(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := broadcastMessage("AbCdEf", "/", parser.Event, buyGoods, wireOpts{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBroadcast is a receiving server's work per broadcast
// before its in-memory adapter encodes the packet once for all of its
// targets.
func BenchmarkDecodeBroadcast(b *testing.B) {
	msg, err := broadcastMessage("AbCdEf", "/", parser.Event, buyGoods, wireOpts{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, _, _, err := decodeBroadcast(msg, "xxxxxx"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBroadcastAcrossRedis measures one broadcast from server A until
// each of 100 WebSocket clients of server B has it: publish, Redis, one
// decode and one encode on B, and 100 writes of the same frame.
func BenchmarkBroadcastAcrossRedis(b *testing.B) {
	e := newEnv(b)
	a := e.node("A", Options{}, nil)
	srvB := e.node("B", Options{}, nil)
	waitServers(b, a.rdb, 2)
	clients := make([]*sioClient, 100)
	for i := range clients {
		clients[i] = connect(b, srvB, nil)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := a.srv.Emit("BUY_GOODS", buyGoods[1], i); err != nil {
			b.Fatal(err)
		}
		for _, c := range clients {
			c.next()
		}
	}
	b.ReportMetric(float64(b.N*len(clients))/b.Elapsed().Seconds(), "deliveries/s")
}
