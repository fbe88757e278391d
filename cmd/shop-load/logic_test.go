package main

import (
	"bytes"
	"math"
	"net"
	"strings"
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	tests := []struct {
		name    string
		samples []time.Duration
		q       float64
		want    float64 // µs
	}{
		{"single", []time.Duration{5 * time.Millisecond}, 0.99, 5000},
		{"exact below 128µs", []time.Duration{10 * time.Microsecond, 20 * time.Microsecond, 30 * time.Microsecond}, 0.5, 20},
		{"p50 of 1..1000ms", seqMs(1, 1000), 0.50, 500_000},
		{"p90 of 1..1000ms", seqMs(1, 1000), 0.90, 900_000},
		{"p99 of 1..1000ms", seqMs(1, 1000), 0.99, 990_000},
		{"p100 is the max", seqMs(1, 1000), 1, 1_000_000},
		{"p99 with one outlier in 100", append(seqMs(1, 1), repeat(time.Millisecond, 98)...), 0.99, 1000},
		{"negative counts as zero", []time.Duration{-time.Second}, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h histogram
			for _, s := range tt.samples {
				h.record(s)
			}
			got := h.quantile(tt.q)
			if math.Abs(got-tt.want) > tt.want*0.016+0.5 {
				t.Errorf("quantile(%v) = %v µs, want %v µs within 1.6%%", tt.q, got, tt.want)
			}
		})
	}
}

func TestHistogramEmptyAndMerge(t *testing.T) {
	var a, b histogram
	if got := a.quantile(0.5); !math.IsNaN(got) {
		t.Errorf("quantile of empty = %v, want NaN", got)
	}
	if got := a.summary(); got != (latencySummary{}) {
		t.Errorf("summary of empty = %+v, want zero", got)
	}
	for _, d := range seqMs(1, 500) {
		a.record(d)
	}
	for _, d := range seqMs(501, 1000) {
		b.record(d)
	}
	a.merge(&b)
	if got := a.count.Load(); got != 1000 {
		t.Errorf("merged count = %d, want 1000", got)
	}
	if got := a.max.Load(); got != 1_000_000 {
		t.Errorf("merged max = %d µs, want 1000000", got)
	}
	if got := a.quantile(0.9); math.Abs(got-900_000) > 900_000*0.016 {
		t.Errorf("merged p90 = %v µs, want 900000", got)
	}
}

func TestBucketsAreMonotonic(t *testing.T) {
	prev := -1
	for us := uint64(0); us < 1<<24; us = us*9/8 + 1 {
		b := bucketOf(us)
		if b < prev {
			t.Fatalf("bucketOf(%d) = %d, below bucketOf of a smaller value (%d)", us, b, prev)
		}
		v := bucketValue(b)
		if math.Abs(v-float64(us)) > float64(us)*0.016+0.5 {
			t.Fatalf("bucketValue(bucketOf(%d)) = %v, want within 1.6%%", us, v)
		}
		prev = b
	}
}

func seqMs(from, to int) []time.Duration {
	var out []time.Duration
	for i := from; i <= to; i++ {
		out = append(out, time.Duration(i)*time.Millisecond)
	}
	return out
}

func repeat(d time.Duration, n int) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func TestWindowMatchesEverySequence(t *testing.T) {
	tests := []struct {
		name        string
		order       []uint32 // sequence numbers in arrival order
		wantSkipped int
	}{
		{"in order", []uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}, 0},
		{"reordered by up to three", []uint32{2, 0, 1, 3, 6, 5, 4, 7, 10, 9, 8, 11, 12, 15, 14, 13, 16}, 0},
		{"wraps the goods cycle many times", seqRange(0, 100), 0},
		{"starts late in a cycle", []uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w window
			skipped := 0
			for _, seq := range tt.order {
				got, s := w.accept(goodsOf(seq))
				skipped += s
				if got != seq {
					t.Fatalf("accept(goods %d) = seq %d, want %d (arrivals %v)", goodsOf(seq), got, seq, tt.order)
				}
			}
			if skipped != tt.wantSkipped {
				t.Errorf("skipped = %d, want %d", skipped, tt.wantSkipped)
			}
		})
	}
}

func TestWindowRecoversFromLosses(t *testing.T) {
	tests := []struct {
		name        string
		order       []uint32
		wantSkipped int
	}{
		// 3 is lost; 7 arrives maxInFlight places later, so 3 is given up
		// and every later purchase is still matched exactly.
		{"one lost", []uint32{0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 1},
		{"two lost apart", []uint32{0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18}, 2},
		{"three lost in a row", []uint32{0, 1, 5, 6, 7, 8, 9, 10, 11, 12}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w window
			skipped := 0
			for _, seq := range tt.order {
				got, s := w.accept(goodsOf(seq))
				skipped += s
				if got != seq {
					t.Fatalf("accept(goods %d) = seq %d, want %d", goodsOf(seq), got, seq)
				}
			}
			if skipped != tt.wantSkipped {
				t.Errorf("skipped = %d, want %d", skipped, tt.wantSkipped)
			}
		})
	}
}

func seqRange(from, to uint32) []uint32 {
	var out []uint32
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

func TestEmitRing(t *testing.T) {
	var r emitRing
	if _, _, ok := r.lookup(0); ok {
		t.Errorf("lookup(0) on an empty ring: ok, want not found")
	}
	r.record(0, 3, 100)
	r.record(5, 1, 200)
	tests := []struct {
		seq      uint32
		wantAt   int64
		wantStep int
		wantOK   bool
	}{
		{0, 100, 3, true},
		{5, 200, 1, true},
		{6, 0, 0, false},
		{emitRingSize, 0, 0, false}, // same slot as 0, another purchase
	}
	for _, tt := range tests {
		at, step, ok := r.lookup(tt.seq)
		if at != tt.wantAt || step != tt.wantStep || ok != tt.wantOK {
			t.Errorf("lookup(%d) = %d, %d, %v; want %d, %d, %v", tt.seq, at, step, ok, tt.wantAt, tt.wantStep, tt.wantOK)
		}
	}
}

func TestClassifyAndParse(t *testing.T) {
	tests := []struct {
		in   string
		want packetKind
	}{
		{"2", kindPing},
		{"2probe", kindOther},
		{"1", kindClose},
		{"6", kindOther},
		{`0{"sid":"a"}`, kindOpen},
		{`40{"sid":"x"}`, kindConnected},
		{`44{"message":"no"}`, kindConnectError},
		{`41`, kindClose},
		{`42["BUY_GOODS",{"nickname":"a"}]`, kindBuyGoods},
		{`42["SAME_PAGE_VIEWER_COUNT",3]`, kindOther},
		{`4312[{"order":{}}]`, kindAck},
		{``, kindOther},
		{`4`, kindOther},
	}
	for _, tt := range tests {
		if got := classify([]byte(tt.in)); got != tt.want {
			t.Errorf("classify(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseBuyGoods(t *testing.T) {
	tests := []struct {
		in       string
		wantNick string
		wantG    int
		wantOK   bool
	}{
		{`42["BUY_GOODS",{"nickname":"lbabc12","goodsId":3,"goodsName":"녹차라떼","date":"2026-11-21T05:12:34.567Z"}]`, "lbabc12", 3, true},
		{`42["BUY_GOODS",{"goodsId":"7","nickname":"x","goodsName":"a"}]`, "x", 7, true},
		{`42["BUY_GOODS",{"nickname":"a\"b","goodsId":3}]`, "", 0, false},
		{`42["BUY_GOODS",{"goodsId":3}]`, "", 0, false},
		{`42["BUY_GOODS",{"nickname":"a","goodsId":null}]`, "", 0, false},
	}
	for _, tt := range tests {
		nick, g, ok := parseBuyGoods([]byte(tt.in))
		if string(nick) != tt.wantNick || g != tt.wantG || ok != tt.wantOK {
			t.Errorf("parseBuyGoods(%s) = %q, %d, %v; want %q, %d, %v", tt.in, nick, g, ok, tt.wantNick, tt.wantG, tt.wantOK)
		}
	}
}

func TestParseAckAndBuy(t *testing.T) {
	id, args, ok := parseAck([]byte(`4317[{"errorMessage":"no"}]`))
	if !ok || id != 17 || !ackRefused(args) {
		t.Errorf("parseAck = %d, %q, %v (refused %v); want 17, refused", id, args, ok, ackRefused(args))
	}
	if _, _, ok := parseAck([]byte(`43[]`)); ok {
		t.Errorf("parseAck(43[]) ok, want not ok: an ack needs an id")
	}
	tests := []struct {
		seq    uint32
		compat bool
		want   string
	}{
		{0, false, `420["BUY",{"goodsId":1,"quantity":1}]`},
		{10, false, `4210["BUY",{"goodsId":3,"quantity":1}]`},
		{7, true, `427["BUY",{"nickname":"lbx1","goodsId":8,"goodsName":"머그컵"}]`},
	}
	for _, tt := range tests {
		if got := string(appendBuy(nil, tt.seq, "lbx1", tt.compat)); got != tt.want {
			t.Errorf("appendBuy(%d, compat %v) = %s, want %s", tt.seq, tt.compat, got, tt.want)
		}
	}
}

func TestParseTargetRefusesRemote(t *testing.T) {
	tests := []struct {
		url         string
		allowRemote bool
		wantErr     string
		wantIPv4    bool
	}{
		{"http://127.0.0.1:3000", false, "", true},
		{"http://localhost:3000", false, "", false}, // may resolve to ::1 too
		{"http://[::1]:3000", false, "", false},
		{"http://10.1.2.3:3000", false, "refusing non-loopback", false},
		{"http://10.1.2.3:3000", true, "", false},
		{"ftp://127.0.0.1", false, "scheme", false},
		{"http://:3000", false, "no host", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := parseTarget(t.Context(), tt.url, "socket.io", tt.allowRemote)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseTarget(%s) error = %v, want one containing %q", tt.url, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseTarget(%s) error = %v, want nil", tt.url, err)
			}
			if tt.wantIPv4 && !got.ipv4 {
				t.Errorf("ipv4 = false, want true")
			}
			if got.path != "/socket.io/" {
				t.Errorf("path = %q, want /socket.io/", got.path)
			}
		})
	}
}

func TestAllLoopback(t *testing.T) {
	ip := func(s string) net.IPAddr { return net.IPAddr{IP: net.ParseIP(s)} }
	tests := []struct {
		ips          []net.IPAddr
		wantLoopback bool
		wantIPv4     bool
	}{
		{[]net.IPAddr{ip("127.0.0.1")}, true, true},
		{[]net.IPAddr{ip("127.4.5.6")}, true, true},
		{[]net.IPAddr{ip("127.0.0.1"), ip("::1")}, true, false},
		{[]net.IPAddr{ip("127.0.0.1"), ip("192.168.1.1")}, false, true},
		{nil, false, false},
	}
	for _, tt := range tests {
		lb, v4 := allLoopback(tt.ips)
		if lb != tt.wantLoopback || v4 != tt.wantIPv4 {
			t.Errorf("allLoopback(%v) = %v, %v; want %v, %v", tt.ips, lb, v4, tt.wantLoopback, tt.wantIPv4)
		}
	}
}

func TestSourceAddrs(t *testing.T) {
	v4 := target{loopback: true, ipv4: true}
	got := sourceAddrs(v4, 300)
	if len(got) != 300 {
		t.Fatalf("len = %d, want 300", len(got))
	}
	want := map[int]string{0: "127.0.0.2", 1: "127.0.0.3", 253: "127.0.0.255", 254: "127.0.1.0", 299: "127.0.1.45"}
	for i, w := range want {
		if got[i].IP.String() != w {
			t.Errorf("sourceAddrs[%d] = %s, want %s", i, got[i].IP, w)
		}
		if got[i].Port != 0 {
			t.Errorf("sourceAddrs[%d] port = %d, want 0 (ephemeral)", i, got[i].Port)
		}
	}
	seen := map[string]bool{}
	for _, a := range got {
		if seen[a.IP.String()] {
			t.Fatalf("address %s given twice", a.IP)
		}
		seen[a.IP.String()] = true
	}
	for _, tt := range []target{{loopback: true}, {ipv4: true}} {
		if got := sourceAddrs(tt, 4); got != nil {
			t.Errorf("sourceAddrs(%+v) = %v, want none: spreading needs an IPv4 loopback target", tt, got)
		}
	}
}

func TestCheckFDs(t *testing.T) {
	tests := []struct {
		clients, shards int
		transport       string
		wantErr         string
	}{
		{19500, 1, "websocket", ""},
		{19990, 1, "websocket", "-shards 2"},
		{30000, 2, "websocket", ""},
		{10000, 1, "polling", "-shards 2"},
		{20000, 2, "polling", "-shards 3"},
		{20000, 3, "polling", ""},
	}
	for _, tt := range tests {
		err := checkFDs(tt.clients, tt.shards, tt.transport, 20000)
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("checkFDs(%d, %d, %s) = %v, want %q", tt.clients, tt.shards, tt.transport, err, tt.wantErr)
		}
	}
}

func TestShardShare(t *testing.T) {
	tests := []struct {
		clients, buyers, n int
		want               [][2]int
	}{
		{100, 10, 1, [][2]int{{100, 10}}},
		{100, 10, 2, [][2]int{{55, 10}, {45, 0}}},
		{25000, 50, 2, [][2]int{{12525, 50}, {12475, 0}}},
		{10, 0, 3, [][2]int{{4, 0}, {3, 0}, {3, 0}}},
	}
	for _, tt := range tests {
		total := 0
		for i, w := range tt.want {
			c, b := shardShare(tt.clients, tt.buyers, i, tt.n)
			if c != w[0] || b != w[1] {
				t.Errorf("shardShare(%d, %d, %d, %d) = %d, %d; want %d, %d", tt.clients, tt.buyers, i, tt.n, c, b, w[0], w[1])
			}
			total += c
		}
		if total != tt.clients {
			t.Errorf("shares of %d clients add up to %d", tt.clients, total)
		}
	}
}

func TestProcParsers(t *testing.T) {
	stat := "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 8 0 100 1000 200 18446744073709551615"
	user, sys, err := parseStatCPU([]byte(stat))
	if err != nil || user != 2500*time.Millisecond || sys != 750*time.Millisecond {
		t.Errorf("parseStatCPU = %v, %v, %v; want 2.5s, 0.75s", user, sys, err)
	}
	if _, _, err := parseStatCPU([]byte("1234 (x) S 1")); err == nil {
		t.Errorf("parseStatCPU(short) error = nil, want one")
	}
	status := "Name:\tshop\nVmPeak:\t  100 kB\nVmRSS:\t   51200 kB\nThreads:\t8\n"
	rss, err := parseStatusRSS([]byte(status))
	if err != nil || rss != 51200*1024 {
		t.Errorf("parseStatusRSS = %d, %v; want %d", rss, err, 51200*1024)
	}
	if _, err := parseStatusRSS([]byte("Name:\tx\n")); err == nil {
		t.Errorf("parseStatusRSS(no VmRSS) error = nil, want one")
	}
}

func TestStepJudge(t *testing.T) {
	base := stepResult{Rate: 10, Seconds: 10, Due: 100, Acked: 100, Receivers: 10, Expected: 1000, Received: 1000,
		DeliveriesPerSec: 100, Latency: latencySummary{Count: 1000, P99: 20}}
	tests := []struct {
		name    string
		mod     func(*stepResult)
		want    bool
		verdict string
	}{
		{"healthy", func(*stepResult) {}, true, "ok"},
		{"slow p99", func(s *stepResult) { s.Latency.P99 = 1500 }, false, "p99"},
		{"a loss", func(s *stepResult) { s.Lost = 1 }, false, "1 lost"},
		{"purchases behind", func(s *stepResult) { s.Acked = 80 }, false, "purchases behind"},
		{"deliveries behind", func(s *stepResult) { s.DeliveriesPerSec = 50 }, false, "deliveries behind"},
		{"a disconnect", func(s *stepResult) { s.Disconnects = 1 }, false, "disconnects"},
		{"tool saturated alone", func(s *stepResult) { s.ToolCPUFrac = 0.95 }, true, "load tool saturated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := base
			tt.mod(&s)
			s.judge(time.Second)
			if s.Sustained != tt.want || !strings.Contains(s.Verdict, tt.verdict) {
				t.Errorf("judge: sustained %v, verdict %q; want %v, containing %q", s.Sustained, s.Verdict, tt.want, tt.verdict)
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		args       []string
		wantErr    string
		wantBuyers int
		wantRates  []float64
	}{
		{[]string{"-clients", "100", "-rate", "5"}, "", 50, []float64{5}},
		{[]string{"-clients", "10", "-rate", "5"}, "", 10, []float64{5}},
		{[]string{"-clients", "100"}, "", 0, []float64{0}},
		{[]string{"-clients", "100", "-rate-steps", "5, 10,20"}, "", 50, []float64{5, 10, 20}},
		{[]string{"-clients", "100", "-rate", "5", "-buyers", "0"}, "needs -buyers", 0, nil},
		{[]string{"-rate-steps", "5,x"}, "not a positive rate", 0, nil},
		{[]string{"-transport", "carrier-pigeon"}, "want websocket or polling", 0, nil},
		{[]string{"-buyers", "200", "-clients", "100"}, "-buyers 200", 0, nil},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			c, err := parseConfig(tt.args, new(strings.Builder))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("error = %v, want nil", err)
			}
			if c.Buyers != tt.wantBuyers {
				t.Errorf("buyers = %d, want %d", c.Buyers, tt.wantBuyers)
			}
			if len(c.Rates) != len(tt.wantRates) {
				t.Fatalf("rates = %v, want %v", c.Rates, tt.wantRates)
			}
			for i := range c.Rates {
				if c.Rates[i] != tt.wantRates[i] {
					t.Errorf("rates = %v, want %v", c.Rates, tt.wantRates)
				}
			}
		})
	}
}

func TestFrames(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name    string
		payload string
		wantHdr int
	}{
		{"short", "3", 6},
		{"16-bit length", long, 8},
		{"64-bit length", strings.Repeat("y", 70000), 14},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := appendClientFrame(nil, opText, []byte(tt.payload))
			h, ok, err := parseFrameHeader(f)
			if err != nil || !ok {
				t.Fatalf("parseFrameHeader: ok %v, err %v; want a header", ok, err)
			}
			if !h.fin || h.op != opText || !h.masked || h.hdrLen != tt.wantHdr || h.payload != len(tt.payload) {
				t.Errorf("header = %+v, want fin text masked, hdrLen %d, payload %d", h, tt.wantHdr, len(tt.payload))
			}
			if got := string(f[h.hdrLen:]); got != tt.payload {
				t.Errorf("payload changed by the zero mask")
			}
			for cut := 0; cut < h.hdrLen; cut++ {
				if _, ok, err := parseFrameHeader(f[:cut]); ok || err != nil {
					t.Fatalf("parseFrameHeader(first %d bytes) = ok %v, err %v; want incomplete", cut, ok, err)
				}
			}
		})
	}
	if _, _, err := parseFrameHeader([]byte{0x81, 127, 0, 0, 0, 0, 1, 0, 0, 0}); err != errFrameTooLarge {
		t.Errorf("16 MiB frame: err %v, want errFrameTooLarge", err)
	}
	if _, _, err := parseFrameHeader([]byte{0xC1, 1, 'x'}); err != errBadFrame {
		t.Errorf("RSV1 frame: err %v, want errBadFrame", err)
	}
}

// serverFrame builds an unmasked frame as a server sends it.
func serverFrame(fin bool, op byte, payload string) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	return append([]byte{b0, byte(len(payload))}, payload...)
}

func TestSkipMessages(t *testing.T) {
	hdr := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
	open := serverFrame(true, opText, `0{"sid":"a"}`)
	ping := serverFrame(true, opPing, "")
	part1 := serverFrame(false, opText, `40{"si`)
	part2 := serverFrame(true, opContinuation, `d":"b"}`)
	next := serverFrame(true, opText, `42["BUY_GOODS",{}]`)
	join := func(parts ...[]byte) []byte { return bytes.Join(append([][]byte{[]byte(hdr)}, parts...), nil) }
	tests := []struct {
		name    string
		stream  []byte
		n       int
		want    []byte
		wantErr bool
	}{
		{"nothing read ahead", join(open, part1, part2), 2, []byte{}, false},
		{"a message read ahead", join(open, part1, part2, next), 2, next, false},
		{"half a frame read ahead", join(open, part1, part2, next[:3]), 2, next[:3], false},
		{"control frames skipped", join(open, ping, part1, part2, next), 2, next, false},
		{"stream too short", join(open), 2, nil, true},
		{"no HTTP header end", open, 1, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := skipMessages(tt.stream, tt.n)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && !bytes.Equal(got, tt.want) {
				t.Errorf("rest = %q, want %q", got, tt.want)
			}
		})
	}
}
