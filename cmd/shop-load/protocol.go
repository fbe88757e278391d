package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Engine.IO v4 / Socket.IO v5 frames the client sends. Each is a whole
// Engine.IO packet: a type digit, then for messages ('4') a Socket.IO packet.
var (
	framePong    = []byte("3")
	frameConnect = []byte("40") // CONNECT to the main namespace, no auth payload
)

// packetKind classifies an Engine.IO packet as far as the load client cares.
type packetKind int

const (
	kindOther        packetKind = iota
	kindPing                    // "2": answer "3"
	kindClose                   // "1", or a Socket.IO DISCONNECT of "/"
	kindConnected               // "40{...}": the main namespace accepted us
	kindConnectError            // "44{...}": the main namespace refused us
	kindBuyGoods                // "42["BUY_GOODS",...]"
	kindAck                     // "43<id>[...]"
	kindOpen                    // "0{...}": the Engine.IO handshake
)

var buyGoodsPrefix = []byte(`2["BUY_GOODS",`)

// classify looks at as few bytes as possible: most packets of a run are
// BUY_GOODS, recognised by a prefix comparison alone.
func classify(p []byte) packetKind {
	if len(p) == 0 {
		return kindOther
	}
	switch p[0] {
	case '2':
		if len(p) == 1 {
			return kindPing
		}
	case '1':
		return kindClose
	case '0':
		return kindOpen
	case '4':
		if len(p) < 2 {
			return kindOther
		}
		switch p[1] {
		case '2':
			if bytes.HasPrefix(p[1:], buyGoodsPrefix) {
				return kindBuyGoods
			}
		case '3':
			return kindAck
		case '0':
			return kindConnected
		case '4':
			return kindConnectError
		case '1':
			return kindClose
		}
	}
	return kindOther
}

var (
	keyNickname = []byte(`"nickname":"`)
	keyGoodsID  = []byte(`"goodsId":`)
)

// parseBuyGoods extracts the nickname and goodsId of a BUY_GOODS packet
// without decoding the JSON: those two fields are all the latency
// correlation needs. A nickname with an escape is never one of ours and is
// reported as not ok.
func parseBuyGoods(p []byte) (nickname []byte, goodsID int, ok bool) {
	i := bytes.Index(p, keyNickname)
	if i < 0 {
		return nil, 0, false
	}
	rest := p[i+len(keyNickname):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return nil, 0, false
	}
	nickname = rest[:end]
	j := bytes.Index(p, keyGoodsID)
	if j < 0 {
		return nil, 0, false
	}
	num := p[j+len(keyGoodsID):]
	if len(num) > 0 && num[0] == '"' { // a reference server echoing a string id
		num = num[1:]
	}
	n, digits := 0, 0
	for digits < len(num) && digits < 9 && num[digits] >= '0' && num[digits] <= '9' {
		n = n*10 + int(num[digits]-'0')
		digits++
	}
	if digits == 0 {
		return nil, 0, false
	}
	return nickname, n, true
}

// parseAck splits "43<id>[...]" into the ack id and its arguments.
func parseAck(p []byte) (id uint64, args []byte, ok bool) {
	if len(p) < 3 || p[0] != '4' || p[1] != '3' {
		return 0, nil, false
	}
	i := 2
	for i < len(p) && p[i] >= '0' && p[i] <= '9' {
		i++
	}
	if i == 2 {
		return 0, nil, false
	}
	id, err := strconv.ParseUint(string(p[2:i]), 10, 64)
	if err != nil {
		return 0, nil, false
	}
	return id, p[i:], true
}

// ackRefused reports whether BUY's acknowledgement says the purchase was
// refused: both servers answer {"errorMessage": ...} then.
func ackRefused(args []byte) bool {
	return bytes.Contains(args, []byte(`"errorMessage"`))
}

// openPacket is the Engine.IO handshake payload; only the fields the client
// uses are decoded.
type openPacket struct {
	SID          string `json:"sid"`
	PingInterval int    `json:"pingInterval"`
	PingTimeout  int    `json:"pingTimeout"`
}

func parseOpen(p []byte) (openPacket, error) {
	var o openPacket
	if len(p) == 0 || p[0] != '0' {
		return o, fmt.Errorf("expected an open packet, got %q", truncate(p, 40))
	}
	if err := json.Unmarshal(p[1:], &o); err != nil {
		return o, fmt.Errorf("decode open packet: %w", err)
	}
	if o.SID == "" {
		return o, fmt.Errorf("open packet without sid: %q", truncate(p, 80))
	}
	return o, nil
}

// goodsNames is the seed catalogue, for the payload of the original front
// end ({nickname, goodsId, goodsName}).
var goodsNames = [...]string{1: "아메리카노", 2: "카페라떼", 3: "녹차라떼", 4: "크루아상", 5: "치즈케이크", 6: "샌드위치", 7: "텀블러", 8: "머그컵"}

// goodsCycle is how many goods a buyer cycles through; the goodsId of a
// purchase is its per-buyer sequence number modulo goodsCycle, plus one,
// which is what lets a receiver tell a buyer's purchases apart.
const goodsCycle = 8

func goodsOf(seq uint32) int { return int(seq%goodsCycle) + 1 }

// appendBuy appends the BUY event with ack id seq to dst. compat selects the
// original front end's payload.
func appendBuy(dst []byte, seq uint32, nickname string, compat bool) []byte {
	g := goodsOf(seq)
	dst = append(dst, "42"...)
	dst = strconv.AppendUint(dst, uint64(seq), 10)
	if compat {
		dst = append(dst, `["BUY",{"nickname":"`...)
		dst = append(dst, nickname...)
		dst = append(dst, `","goodsId":`...)
		dst = strconv.AppendInt(dst, int64(g), 10)
		dst = append(dst, `,"goodsName":"`...)
		dst = append(dst, goodsNames[g]...)
		return append(dst, `"}]`...)
	}
	dst = append(dst, `["BUY",{"goodsId":`...)
	dst = strconv.AppendInt(dst, int64(g), 10)
	return append(dst, `,"quantity":1}]`...)
}

func truncate(p []byte, n int) string {
	if len(p) > n {
		return string(p[:n]) + "…"
	}
	return string(p)
}
