package auth

import "time"

// SetTokensClock replaces the clock of tk.
func SetTokensClock(tk *Tokens, now func() time.Time) { tk.now = now }

// SetThrottleClock replaces the clock of t.
func SetThrottleClock(t *Throttle, now func() time.Time) { t.now = now }
