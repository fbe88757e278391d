// Package realtime implements the server side of Socket.IO protocol v5 on
// top of package engineio: namespaces, sockets, rooms, broadcasts,
// acknowledgements and connection state recovery, with the semantics of the
// Node reference server (socket.io 4.x and socket.io-adapter).
//
// A Server is an http.Handler mounted at /socket.io/. Each namespace has an
// Adapter that keeps its rooms and fans broadcasts out; the in-memory
// MemoryAdapter is the default, and the Adapter interface is shaped so that
// an adapter spanning several servers can be plugged in without changing
// the rest of the API.
//
// Event handlers of one connection run sequentially on that connection's
// reading goroutine, in arrival order. A handler that blocks delays the
// following packets of the same connection only; a handler must not wait
// for an acknowledgement from its own connection (EmitWithAck) without
// starting a goroutine, since the acknowledgement is read by the goroutine
// it blocks. A panic in an application callback (handler, middleware,
// connection or disconnect callback) is logged and contained, as net/http
// does for its handlers.
package realtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// SocketID identifies a socket within its namespace. Every socket is a
// member of the room named after its id.
type SocketID string

// Room names a set of sockets of one namespace.
type Room string

// Disconnect reasons passed to the OnDisconnecting and OnDisconnect
// callbacks; the strings are those of the Node reference server.
const (
	ReasonServerNamespaceDisconnect = "server namespace disconnect"
	ReasonClientNamespaceDisconnect = "client namespace disconnect"
	ReasonServerShuttingDown        = "server shutting down"
	ReasonForcedServerClose         = "forced server close"
	ReasonTransportClose            = "transport close"
	ReasonTransportError            = "transport error"
	ReasonPingTimeout               = "ping timeout"
	ReasonParseError                = "parse error"
	ReasonForcedClose               = "forced close"
)

// Errors returned by the emitting methods.
var (
	// ErrReservedEvent is returned when emitting one of the event names the
	// protocol reserves (connect, connect_error, disconnect, disconnecting,
	// newListener, removeListener).
	ErrReservedEvent = errors.New("realtime: reserved event name")
	// ErrAckTimeout is returned by EmitWithAck when the Timeout set on the
	// emitter elapses before every acknowledgement arrived.
	ErrAckTimeout = errors.New("realtime: operation has timed out")
	// ErrDisconnected is returned by EmitWithAck when the socket disconnects
	// before acknowledging, and by Emit on a disconnected socket.
	ErrDisconnected = errors.New("realtime: socket disconnected")
)

// eventName returns the name an EVENT packet's first element gives its
// event: a string that is not reserved, or a number named as JavaScript
// names it (42 is "42", 1e21 is "1e+21"), since the Node server's listeners
// are keyed by that string. It reports false for anything else.
func eventName(first any) (string, bool) {
	raw, ok := first.(json.RawMessage)
	if !ok || len(raw) == 0 {
		return "", false
	}
	if raw[0] == '"' {
		var name string
		if json.Unmarshal(raw, &name) != nil || isReserved(name) {
			return "", false
		}
		return name, true
	}
	if raw[0] != '-' && (raw[0] < '0' || raw[0] > '9') {
		return "", false
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return "", false
	}
	return jsNumber(f), true
}

// jsNumber formats f as JavaScript's String(f) does.
func jsNumber(f float64) string {
	switch abs := math.Abs(f); {
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0" // -0 included
	case abs >= 1e21 || abs < 1e-6:
		s := strconv.FormatFloat(f, 'e', -1, 64) // 1e+21, 1.5e-07
		i := strings.IndexByte(s, 'e') + 2       // after the exponent's sign
		j := i
		for j < len(s)-1 && s[j] == '0' {
			j++
		}
		return s[:i] + s[j:]
	default:
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
}

// isReserved reports whether event is one of the names an application may
// not emit, and that a client may not send, as in the Node server.
func isReserved(event string) bool {
	switch event {
	case "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener":
		return true
	}
	return false
}

// ConnectError refuses a connection from a Middleware with a message and
// optional data, both sent to the client in the CONNECT_ERROR packet
// {"message": Message, "data": Data}. A middleware returning any other
// error refuses with {"message": err.Error()}.
type ConnectError struct {
	Message string
	Data    any // encoded with encoding/json; omitted when nil
}

// Error returns the message.
func (e *ConnectError) Error() string { return e.Message }

// Middleware runs for every socket connecting to a namespace, in the order
// of registration, before the OnConnection callbacks. A non-nil error
// refuses the connection (see ConnectError).
type Middleware func(s *Socket) error

// AckFunc acknowledges a received event. It sends its arguments back to the
// client once; later calls return an error. A handler receives a nil
// AckFunc when the client did not ask for an acknowledgement.
type AckFunc func(args ...any) error

// EventHandler handles one received event.
type EventHandler func(args Args, ack AckFunc)

// AnyHandler handles every received event; it runs before the handlers
// registered for the event itself.
type AnyHandler func(event string, args Args, ack AckFunc)

func errorf(format string, args ...any) error {
	return fmt.Errorf("realtime: "+format, args...)
}
