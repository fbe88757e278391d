//go:build !unix

package engineio

// inlineWrites is false where sockets are not written through package
// unix: every frame goes through the session's writer goroutine.
const inlineWrites = false

// rawWrite is never called when inlineWrites is false.
func (w *wsWriter) rawWrite(uintptr) bool { return true }
