package realtime

import (
	"maps"
	"sync"
)

// Data is a socket's free-form key/value store, safe for concurrent use.
// Values should encode with encoding/json if an adapter spanning several
// servers is used.
type Data struct {
	mu sync.Mutex
	m  map[string]any
}

// Get returns the value stored under key.
func (d *Data) Get(key string) (any, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.m[key]
	return v, ok
}

// Set stores v under key.
func (d *Data) Set(key string, v any) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = make(map[string]any)
	}
	d.m[key] = v
}

// Delete removes key.
func (d *Data) Delete(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.m, key)
}

// Map returns a copy of every key and value.
func (d *Data) Map() map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	return maps.Clone(d.m)
}
