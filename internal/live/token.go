package live

import (
	"encoding/json"

	"github.com/livebuy/shop/internal/auth"
)

// tokenFromAuth returns the token of a CONNECT auth payload {"token": ...},
// which may be "Bearer <jwt>" (URL-encoded or not) or a bare JWT.
func tokenFromAuth(raw json.RawMessage) string {
	var a struct {
		Token string `json:"token"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &a) != nil || a.Token == "" {
		return ""
	}
	if t := auth.BearerToken(a.Token); t != "" {
		return t
	}
	return a.Token
}
