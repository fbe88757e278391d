package users

import (
	"strings"
	"testing"

	"github.com/livebuy/shop/internal/errs"
)

func TestValidEmail(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"ann@example.com", true},
		{"ann.lee+shop@mail.example.co.kr", true},
		{"a_b-c@sub-domain.example.com", true},
		{"홍길동@example.com", true},
		{"", false},
		{"ann", false},
		{"ann@", false},
		{"@example.com", false},
		{"ann@example", false},
		{"ann@@example.com", false},
		{"ann@exa mple.com", false},
		{"ann lee@example.com", false},
		{"ann@example..com", false},
		{"ann@.example.com", false},
		{"ann@example.com.", false},
		{"ann@-example.com", false},
		{"ann@exam_ple.com", false},
		{"ann@[127.0.0.1]", false},
		{"ann <ann@example.com>", false},
		{`"ann"@example.com`, false},
		{"ann@example.com (comment)", false},
		{"ann@example.com,bob@example.com", false},
		{"ann\x00@example.com", false},
		{"\xff@example.com", false},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 180) + ".com", true},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 186) + ".com", false}, // 255 bytes
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := validEmail(tt.in); got != tt.want {
				t.Fatalf("validEmail(%q): got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	if got := normalizeEmail("  Ann@Example.COM "); got != "ann@example.com" {
		t.Errorf("normalizeEmail: got %q, want ann@example.com", got)
	}
	// 한 as decomposed jamo (U+1112 U+1161 U+11AB) composes to U+D55C.
	if got := normalizeNickname(" \u1112\u1161\u11ab글 "); got != "한글" {
		t.Errorf("normalizeNickname: got %q, want 한글", got)
	}
}

func TestValidNickname(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"ann", true},
		{"홍길동", true},
		{"Ann2026", true},
		{"김a1", true},
		{"日本語", true},
		{"ab", true},
		{strings.Repeat("가", 20), true},
		{"a", false},
		{"", false},
		{strings.Repeat("가", 21), false},
		{"ann lee", false},
		{"ann_lee", false},
		{"ann-lee", false},
		{"ann!", false},
		{"<script>", false},
		{"ann😀", false},
		{"ab\u200b", false}, // zero-width space
		{"\xff\xfe", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := validNickname(tt.in); got != tt.want {
				t.Fatalf("validNickname(%q): got %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidateSignUp(t *testing.T) {
	tests := []struct {
		name                               string
		email, nickname, password, confirm string
		want                               string // "" for valid
	}{
		{"valid", "ann@example.com", "ann", "s3cret-pass", "s3cret-pass", ""},
		{"valid hangul", "hong@example.com", "홍길동", "비밀번호는여덟글자", "비밀번호는여덟글자", ""},
		{"mismatch", "ann@example.com", "ann", "s3cret-pass", "s3cret-pasS", MsgPasswordMismatch},
		{"mismatch first", "bad", "x", "short", "other", MsgPasswordMismatch},
		{"bad email", "ann", "ann", "s3cret-pass", "s3cret-pass", MsgInvalidEmail},
		{"bad nickname", "ann@example.com", "a", "s3cret-pass", "s3cret-pass", MsgInvalidNickname},
		{"short password", "ann@example.com", "ann", "1234567", "1234567", MsgPasswordTooShort},
		{"empty password", "ann@example.com", "ann", "", "", MsgPasswordTooShort},
		{"eight hangul is enough", "ann@example.com", "ann", "가나다라마바사아", "가나다라마바사아", ""},
		{"too long", "ann@example.com", "ann", strings.Repeat("p", 73), strings.Repeat("p", 73), MsgPasswordTooLong},
		{"72 bytes", "ann@example.com", "ann", strings.Repeat("p", 72), strings.Repeat("p", 72), ""},
		{"contains nickname", "ann@example.com", "ann", "my-ann-password", "my-ann-password", MsgPasswordHasNickname},
		{"contains nickname other case", "ann@example.com", "Ann", "xxANNxx99", "xxANNxx99", MsgPasswordHasNickname},
		{"contains hangul nickname", "hong@example.com", "길동", "홍길동12345", "홍길동12345", MsgPasswordHasNickname},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := validateSignUp(tt.email, tt.nickname, tt.password, tt.confirm)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			e, ok := err.(*errs.Error)
			if !ok || e.Kind != errs.Invalid || e.Message != tt.want {
				t.Fatalf("got %v, want Invalid %q", err, tt.want)
			}
		})
	}
}
