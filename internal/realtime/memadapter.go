package realtime

// MemoryAdapter is the default Adapter: rooms and recovery state held in
// memory, for a single server.
type MemoryAdapter struct {
	nsp *Namespace
}

// NewMemoryAdapter returns the in-memory adapter of nsp. An adapter that
// spans several servers embeds it for the local part of its work.
func NewMemoryAdapter(nsp *Namespace) *MemoryAdapter {
	return &MemoryAdapter{nsp: nsp}
}
