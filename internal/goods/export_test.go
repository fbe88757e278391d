package goods

import "time"

// SetCatalogClock replaces the clock of c; call it before c is used.
func SetCatalogClock(c *Catalog, now func() time.Time) { c.now = now }
