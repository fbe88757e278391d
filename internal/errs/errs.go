// Package errs defines the kinds of failure the shop's domain packages
// report, so that one place (package httpapi) can map them to HTTP and the
// realtime layer can map them to acknowledgements, without either knowing
// the domain packages.
package errs

import (
	"errors"
	"time"
)

// Kind classifies an Error.
type Kind int

// Kinds of failure.
const (
	Internal        Kind = iota // a fault of the server; details are logged, not shown
	Invalid                     // the input breaks a rule
	Unauthorized                // no user, or the credentials are invalid
	Forbidden                   // the user may not do this
	NotFound                    // the thing asked for does not exist
	Conflict                    // the change collides with existing data
	TooManyRequests             // the caller must wait before trying again
	Unavailable                 // something the server needs failed; the message says what, retrying may succeed
)

// Error is a failure with a message a person can read.
type Error struct {
	Kind    Kind
	Message string // shown to the user
	// RetryAfter tells a TooManyRequests caller how long to wait.
	RetryAfter time.Duration
	// Err is the underlying cause, if any; it is logged, never shown.
	Err error
}

// E returns an Error of the given kind and message.
func E(kind Kind, message string) *Error {
	return &Error{Kind: kind, Message: message}
}

// Wrap returns an Internal error that records err as its cause.
func Wrap(err error, message string) *Error {
	return &Error{Kind: Internal, Message: message, Err: err}
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf reports the Kind of the first Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err's chain holds an Error of the given kind.
func Is(err error, kind Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == kind
}
