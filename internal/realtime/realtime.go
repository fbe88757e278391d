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
	"errors"
	"fmt"
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
