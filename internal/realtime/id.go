package realtime

import (
	"crypto/rand"
	"encoding/base64"
)

// newID returns 20 random URL-safe characters, as Node's base64id does for
// socket and session ids. The Engine.IO session id is not reused: it is a
// credential of the transport.
func newID() string {
	var b [15]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}
