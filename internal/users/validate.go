package users

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/livebuy/shop/internal/errs"
)

// Limits of sign-up fields.
const (
	MaxEmailLen      = 254 // bytes, the longest address SMTP can carry
	MinNicknameLen   = 2   // characters
	MaxNicknameLen   = 20  // characters
	MinPasswordLen   = 8   // characters
	MaxPasswordBytes = 72  // bcrypt ignores what follows
)

// normalizeEmail is the form emails are stored and looked up in.
func normalizeEmail(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// normalizeNickname composes the nickname (NFC) so that a Hangul nickname
// typed as composed syllables or as decomposed jamo is one and the same.
func normalizeNickname(s string) string {
	return norm.NFC.String(strings.TrimSpace(s))
}

// validEmail reports whether email, already normalized, is a plain address
// local@domain: no display name, no comments, a domain of dotted labels.
func validEmail(email string) bool {
	if email == "" || len(email) > MaxEmailLen || !utf8.ValidString(email) {
		return false
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Name != "" || addr.Address != email {
		return false
	}
	local, domain, ok := strings.Cut(email, "@")
	if !ok || local == "" || strings.Contains(domain, "@") {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
		for _, r := range l {
			if r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				return false
			}
		}
	}
	return true
}

// validNickname reports whether nickname, already normalized, has 2–20
// characters, each a letter (of any script, Hangul included) or a digit.
func validNickname(nickname string) bool {
	if !utf8.ValidString(nickname) {
		return false
	}
	n := utf8.RuneCountInString(nickname)
	if n < MinNicknameLen || n > MaxNicknameLen {
		return false
	}
	for _, r := range nickname {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// validateSignUp checks the normalized fields of a sign-up in the order the
// original shop did (confirmation first), returning the first rule broken.
func validateSignUp(email, nickname, password, confirm string) error {
	if password != confirm {
		return errs.E(errs.Invalid, MsgPasswordMismatch)
	}
	if !validEmail(email) {
		return errs.E(errs.Invalid, MsgInvalidEmail)
	}
	if !validNickname(nickname) {
		return errs.E(errs.Invalid, MsgInvalidNickname)
	}
	if utf8.RuneCountInString(password) < MinPasswordLen {
		return errs.E(errs.Invalid, MsgPasswordTooShort)
	}
	if len(password) > MaxPasswordBytes {
		return errs.E(errs.Invalid, MsgPasswordTooLong)
	}
	if strings.Contains(foldCase(password), foldCase(nickname)) {
		return errs.E(errs.Invalid, MsgPasswordHasNickname)
	}
	return nil
}

// foldCase maps s to a form in which case differences vanish, for the
// nickname-in-password rule.
func foldCase(s string) string {
	return strings.ToLower(strings.ToUpper(norm.NFC.String(s)))
}
