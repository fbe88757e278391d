package redisadapter

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/livebuy/shop/internal/realtime"
	"github.com/livebuy/shop/internal/realtime/parser"
)

// The messages of @socket.io/redis-adapter 8.x (its classic pub/sub
// adapter, createAdapter). A broadcast is the MessagePack array
// [uid, packet, opts] on the namespace's channel, or on the channel of its
// only room. Requests and responses are JSON objects, except the
// broadcasts with acknowledgements and their acknowledgements, which are
// MessagePack maps since they may hold binary data. A message starting
// with '{' is JSON.

// Request and response types.
const (
	typeSockets              = 0
	typeAllRooms             = 1
	typeRemoteJoin           = 2
	typeRemoteLeave          = 3
	typeRemoteDisconnect     = 4
	typeRemoteFetch          = 5
	typeServerSideEmit       = 6
	typeBroadcast            = 7
	typeBroadcastClientCount = 8
	typeBroadcastAck         = 9
)

// wireOpts is the opts object of a broadcast or request: the rooms and
// except lists of a BroadcastOptions, and its flags.
type wireOpts struct {
	Rooms  rooms     `json:"rooms"`
	Except rooms     `json:"except"`
	Flags  wireFlags `json:"flags"`
}

// wireFlags are the broadcast flags of the Node server; timeout is in
// milliseconds.
type wireFlags struct {
	Volatile bool    `json:"volatile,omitempty"`
	Local    bool    `json:"local,omitempty"`
	Timeout  float64 `json:"timeout,omitempty"`
}

// rooms is a list of rooms that are JSON strings, or numbers for the
// numeric rooms a Node application may use.
type rooms []realtime.Room

// MarshalJSON writes an empty list as [] rather than null.
func (r rooms) MarshalJSON() ([]byte, error) {
	if r == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]realtime.Room(r))
}

// UnmarshalJSON reads strings and numbers.
func (r *rooms) UnmarshalJSON(b []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = make(rooms, 0, len(raw))
	for _, x := range raw {
		if len(x) > 0 && x[0] == '"' {
			var s string
			if err := json.Unmarshal(x, &s); err != nil {
				return err
			}
			*r = append(*r, realtime.Room(s))
			continue
		}
		var n json.Number
		if err := json.Unmarshal(x, &n); err != nil {
			return fmt.Errorf("room %s: %w", x, err)
		}
		*r = append(*r, realtime.Room(n))
	}
	return nil
}

func optsToWire(o *realtime.BroadcastOptions) wireOpts {
	return wireOpts{
		Rooms:  rooms(o.Rooms),
		Except: rooms(o.Except),
		Flags: wireFlags{
			Volatile: o.Flags.Volatile,
			Timeout:  float64(o.Flags.Timeout.Milliseconds()),
		},
	}
}

func (w *wireOpts) options() *realtime.BroadcastOptions {
	return &realtime.BroadcastOptions{
		Rooms:  w.Rooms,
		Except: w.Except,
		Flags:  realtime.BroadcastFlags{Volatile: w.Flags.Volatile},
	}
}

// msgpackValue returns the MessagePack form of opts.
func (w *wireOpts) msgpackValue() parser.Object {
	flags := parser.Object{}
	if w.Flags.Volatile {
		flags = append(flags, parser.Member{Key: "volatile", Value: true})
	}
	if w.Flags.Timeout > 0 {
		flags = append(flags, parser.Member{Key: "timeout", Value: w.Flags.Timeout})
	}
	return parser.Object{
		{Key: "rooms", Value: roomValues(w.Rooms)},
		{Key: "except", Value: roomValues(w.Except)},
		{Key: "flags", Value: flags},
	}
}

func roomValues(r rooms) []any {
	out := make([]any, len(r))
	for i, room := range r {
		out[i] = string(room)
	}
	return out
}

// request is a request received from another server, from JSON or
// MessagePack.
type request struct {
	UID       string    `json:"uid"`
	RequestID string    `json:"requestId"`
	Type      int       `json:"type"`
	Opts      *wireOpts `json:"opts"`
	Rooms     rooms     `json:"rooms"`
	SID       string    `json:"sid"`
	Room      string    `json:"room"`
	Close     bool      `json:"close"`
	// Data is the event name and arguments of a server-side emit.
	Data []json.RawMessage `json:"data"`
	// Packet is the packet of a broadcast with acknowledgements.
	Packet *wirePacket `json:"-"`
}

// wirePacket is a Socket.IO packet of a broadcast.
type wirePacket struct {
	Type parser.Type
	Data []any
	NSP  string
}

// response is a response received from another server.
type response struct {
	RequestID   string          `json:"requestId"`
	Type        int             `json:"type"`
	ClientCount int             `json:"clientCount"`
	Sockets     json.RawMessage `json:"sockets"`
	// Packet is the first argument of a client's acknowledgement.
	Packet any `json:"-"`
}

// broadcastMessage encodes a broadcast.
func broadcastMessage(uid, nsp string, typ parser.Type, data []any, opts wireOpts) ([]byte, error) {
	return encodeMsgpack([]any{uid, packetValue(nsp, typ, data), opts.msgpackValue()})
}

func packetValue(nsp string, typ parser.Type, data []any) parser.Object {
	return parser.Object{
		{Key: "type", Value: int64(typ)},
		{Key: "data", Value: data},
		{Key: "nsp", Value: nsp},
	}
}

// broadcastRequest encodes a broadcast with acknowledgements.
func broadcastRequest(uid, requestID, nsp string, typ parser.Type, data []any, opts wireOpts) ([]byte, error) {
	return encodeMsgpack(parser.Object{
		{Key: "uid", Value: uid},
		{Key: "requestId", Value: requestID},
		{Key: "type", Value: int64(typeBroadcast)},
		{Key: "packet", Value: packetValue(nsp, typ, data)},
		{Key: "opts", Value: opts.msgpackValue()},
	})
}

// ackResponse encodes an acknowledgement of a broadcast.
func ackResponse(requestID string, arg any) ([]byte, error) {
	return encodeMsgpack(parser.Object{
		{Key: "type", Value: int64(typeBroadcastAck)},
		{Key: "requestId", Value: requestID},
		{Key: "packet", Value: arg},
	})
}

// decodeBroadcast decodes a broadcast not sent by uid; own is true, and
// nothing else decoded, for one of uid's.
func decodeBroadcast(b []byte, uid string) (p *wirePacket, opts *wireOpts, own bool, err error) {
	d := decoder{b: b}
	c, err := d.byte()
	if err != nil {
		return nil, nil, false, err
	}
	if c != 0x93 {
		return nil, nil, false, fmt.Errorf("broadcast: got type byte 0x%02x, want an array of 3", c)
	}
	v, err := d.value()
	if err != nil {
		return nil, nil, false, fmt.Errorf("broadcast uid: %w", err)
	}
	if v == uid {
		return nil, nil, true, nil
	}
	pv, err := d.value()
	if err != nil {
		return nil, nil, false, fmt.Errorf("broadcast packet: %w", err)
	}
	if p, err = packetOf(pv); err != nil {
		return nil, nil, false, err
	}
	ov, err := d.value()
	if err != nil {
		return nil, nil, false, fmt.Errorf("broadcast opts: %w", err)
	}
	if opts, err = optsOf(ov); err != nil {
		return nil, nil, false, err
	}
	return p, opts, false, nil
}

// get returns the value of key in o.
func get(o parser.Object, key string) any {
	for _, m := range o {
		if m.Key == key {
			return m.Value
		}
	}
	return nil
}

func packetOf(v any) (*wirePacket, error) {
	o, ok := v.(parser.Object)
	if !ok {
		return nil, fmt.Errorf("packet: got %T, want a map", v)
	}
	p := &wirePacket{NSP: "/"}
	switch t := get(o, "type").(type) {
	case int64:
		p.Type = parser.Type(t)
	default:
		return nil, fmt.Errorf("packet type: got %T, want an integer", t)
	}
	if p.Type != parser.Event && p.Type != parser.BinaryEvent {
		return nil, fmt.Errorf("packet type %d: want an event", p.Type)
	}
	data, ok := get(o, "data").([]any)
	if !ok || len(data) == 0 {
		return nil, errors.New("packet data: want an array starting with the event name")
	}
	if _, ok := data[0].(string); !ok {
		return nil, errors.New("packet data: want an array starting with the event name")
	}
	p.Data = data
	if nsp, ok := get(o, "nsp").(string); ok {
		p.NSP = nsp
	}
	return p, nil
}

func optsOf(v any) (*wireOpts, error) {
	o, ok := v.(parser.Object)
	if !ok {
		return nil, fmt.Errorf("opts: got %T, want a map", v)
	}
	var w wireOpts
	var err error
	if w.Rooms, err = roomsOf(get(o, "rooms")); err != nil {
		return nil, fmt.Errorf("opts rooms: %w", err)
	}
	if w.Except, err = roomsOf(get(o, "except")); err != nil {
		return nil, fmt.Errorf("opts except: %w", err)
	}
	if f, ok := get(o, "flags").(parser.Object); ok {
		w.Flags.Volatile, _ = get(f, "volatile").(bool)
		w.Flags.Local, _ = get(f, "local").(bool)
	}
	return &w, nil
}

func roomsOf(v any) (rooms, error) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("got %T, want an array", v)
	}
	out := make(rooms, len(list))
	for i, x := range list {
		switch x := x.(type) {
		case string:
			out[i] = realtime.Room(x)
		case int64:
			out[i] = realtime.Room(strconv.FormatInt(x, 10))
		case uint64:
			out[i] = realtime.Room(strconv.FormatUint(x, 10))
		case float64:
			out[i] = realtime.Room(strconv.FormatFloat(x, 'g', -1, 64))
		default:
			return nil, fmt.Errorf("room of type %T", x)
		}
	}
	return out, nil
}

// decodeRequest decodes a request, JSON or MessagePack.
func decodeRequest(b []byte) (*request, error) {
	var r request
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("request: %w", err)
		}
		return &r, nil
	}
	v, err := decodeMsgpack(b)
	if err != nil {
		return nil, fmt.Errorf("request: %w", err)
	}
	o, ok := v.(parser.Object)
	if !ok {
		return nil, fmt.Errorf("request: got %T, want a map", v)
	}
	r.UID, _ = get(o, "uid").(string)
	r.RequestID, _ = get(o, "requestId").(string)
	typ, ok := get(o, "type").(int64)
	if !ok {
		return nil, errors.New("request: no type")
	}
	r.Type = int(typ)
	if ov := get(o, "opts"); ov != nil {
		if r.Opts, err = optsOf(ov); err != nil {
			return nil, fmt.Errorf("request: %w", err)
		}
	}
	if pv := get(o, "packet"); pv != nil {
		if r.Packet, err = packetOf(pv); err != nil {
			return nil, fmt.Errorf("request: %w", err)
		}
	}
	return &r, nil
}

// decodeResponse decodes a response, JSON or MessagePack.
func decodeResponse(b []byte) (*response, error) {
	var r response
	if len(b) > 0 && b[0] == '{' {
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("response: %w", err)
		}
		return &r, nil
	}
	v, err := decodeMsgpack(b)
	if err != nil {
		return nil, fmt.Errorf("response: %w", err)
	}
	o, ok := v.(parser.Object)
	if !ok {
		return nil, fmt.Errorf("response: got %T, want a map", v)
	}
	r.RequestID, _ = get(o, "requestId").(string)
	typ, _ := get(o, "type").(int64)
	r.Type = int(typ)
	r.Packet = get(o, "packet")
	return &r, nil
}

// ackArgs turns the argument of an acknowledgement received from Redis into
// the realtime.Args shape: JSON for data without binary, []byte for binary
// data, []any or parser.Object around binary data deeper down.
func ackArgs(v any) (realtime.Args, error) {
	a, err := argOf(v)
	if err != nil {
		return nil, err
	}
	return realtime.Args{a}, nil
}

func argOf(v any) (any, error) {
	if !hasBinary(v) {
		raw, err := parser.AppendJSON(nil, v)
		if err != nil {
			return nil, err
		}
		return json.RawMessage(raw), nil
	}
	switch x := v.(type) {
	case []byte:
		return x, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			var err error
			if out[i], err = argOf(e); err != nil {
				return nil, err
			}
		}
		return out, nil
	case parser.Object:
		out := make(parser.Object, len(x))
		for i, m := range x {
			a, err := argOf(m.Value)
			if err != nil {
				return nil, err
			}
			out[i] = parser.Member{Key: m.Key, Value: a}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected %T", v)
}

func hasBinary(v any) bool {
	switch x := v.(type) {
	case []byte:
		return true
	case []any:
		for _, e := range x {
			if hasBinary(e) {
				return true
			}
		}
	case parser.Object:
		for _, m := range x {
			if hasBinary(m.Value) {
				return true
			}
		}
	}
	return false
}

// argToWire returns the first argument of an acknowledgement, which is all
// that the Node adapter forwards.
func argToWire(args realtime.Args) any {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}

// wireSocket is a socket in a fetchSockets response.
type wireSocket struct {
	ID        string          `json:"id"`
	Handshake wireHandshake   `json:"handshake"`
	Rooms     rooms           `json:"rooms"`
	Data      json.RawMessage `json:"data"`
}

// wireHandshake is the handshake of a Node socket: headers with lower-case
// names, a query object and dates both as text and as milliseconds.
type wireHandshake struct {
	Headers map[string]any  `json:"headers"`
	Time    string          `json:"time"`
	Address string          `json:"address"`
	XDomain bool            `json:"xdomain"`
	Secure  bool            `json:"secure"`
	Issued  int64           `json:"issued"`
	URL     string          `json:"url"`
	Query   map[string]any  `json:"query"`
	Auth    json.RawMessage `json:"auth"`
}

// jsDateString is how JavaScript's Date.prototype.toString writes a date.
const jsDateString = "Mon Jan 02 2006 15:04:05 GMT-0700 (MST)"

func socketToWire(d realtime.SocketDetails) wireSocket {
	h := d.Handshake
	hs := wireHandshake{
		Headers: make(map[string]any, len(h.Header)),
		Time:    h.Time.Format(jsDateString),
		Address: h.Address,
		XDomain: h.XDomain,
		Secure:  h.Secure,
		Issued:  h.Time.UnixMilli(),
		URL:     h.URL,
		Query:   make(map[string]any, len(h.Query)),
		Auth:    h.Auth,
	}
	if len(hs.Auth) == 0 {
		hs.Auth = json.RawMessage("{}")
	}
	for k, v := range h.Header {
		k = strings.ToLower(k)
		switch {
		case k == "set-cookie":
			hs.Headers[k] = v
		case k == "cookie":
			hs.Headers[k] = strings.Join(v, "; ")
		default:
			hs.Headers[k] = strings.Join(v, ", ")
		}
	}
	for k, v := range h.Query {
		if len(v) == 1 {
			hs.Query[k] = v[0]
		} else {
			hs.Query[k] = v
		}
	}
	data, err := json.Marshal(d.Data)
	if err != nil || d.Data == nil {
		data = []byte("{}")
	}
	return wireSocket{ID: string(d.ID), Handshake: hs, Rooms: rooms(d.Rooms), Data: data}
}

func (w *wireSocket) details() realtime.SocketDetails {
	h := w.Handshake
	d := realtime.SocketDetails{
		ID: realtime.SocketID(w.ID),
		Handshake: realtime.Handshake{
			Header:  make(http.Header, len(h.Headers)),
			Query:   make(url.Values, len(h.Query)),
			Auth:    h.Auth,
			Address: h.Address,
			Time:    time.UnixMilli(h.Issued),
			URL:     h.URL,
			Secure:  h.Secure,
			XDomain: h.XDomain,
		},
		Rooms: w.Rooms,
	}
	for k, v := range h.Headers {
		d.Handshake.Header[textproto.CanonicalMIMEHeaderKey(k)] = stringList(v)
	}
	for k, v := range h.Query {
		d.Handshake.Query[k] = stringList(v)
	}
	if json.Unmarshal(w.Data, &d.Data) != nil {
		d.Data = nil // data that is not an object has no place in a Data map
	}
	return d
}

// stringList returns a JSON string, or the strings of a JSON array, as a
// list.
func stringList(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case float64:
		if x == math.Trunc(x) {
			return []string{strconv.FormatInt(int64(x), 10)}
		}
	}
	return []string{fmt.Sprint(v)}
}

// Requests this server sends.

// selector is the opts of a request: which sockets it is about.
type selector struct {
	Rooms  rooms `json:"rooms"`
	Except rooms `json:"except"`
}

func selectorOf(o *realtime.BroadcastOptions) selector {
	return selector{Rooms: o.Rooms, Except: o.Except}
}

type serverSideEmitRequest struct {
	UID  string            `json:"uid"`
	Type int               `json:"type"`
	Data []json.RawMessage `json:"data"`
}

type fetchRequest struct {
	UID       string   `json:"uid"`
	RequestID string   `json:"requestId"`
	Type      int      `json:"type"`
	Opts      selector `json:"opts"`
}

type roomsRequest struct {
	UID   string   `json:"uid"`
	Type  int      `json:"type"`
	Opts  selector `json:"opts"`
	Rooms rooms    `json:"rooms"`
}

type disconnectRequest struct {
	UID   string   `json:"uid"`
	Type  int      `json:"type"`
	Opts  selector `json:"opts"`
	Close bool     `json:"close"`
}

// Responses this server sends.

type fetchResponse struct {
	RequestID string       `json:"requestId"`
	Sockets   []wireSocket `json:"sockets"`
}

type socketsResponse struct {
	RequestID string   `json:"requestId"`
	Sockets   []string `json:"sockets"`
}

type allRoomsResponse struct {
	RequestID string `json:"requestId"`
	Rooms     rooms  `json:"rooms"`
}

type doneResponse struct {
	RequestID string `json:"requestId"`
}

type clientCountResponse struct {
	Type        int    `json:"type"`
	RequestID   string `json:"requestId"`
	ClientCount int    `json:"clientCount"`
}
