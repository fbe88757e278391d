package httpapi_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/livebuy/shop/internal/errs"
	"github.com/livebuy/shop/internal/httpapi"
)

type signup struct {
	Email    string      `json:"email"`
	Quantity httpapi.Int `json:"quantity"`
	Count    int         `json:"count"`
	Admin    bool        `json:"admin"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, ctype, body string
		want              signup
		wantErr           bool
	}{
		{"json", "application/json", `{"email":"a@b.c","quantity":3,"count":2}`, signup{Email: "a@b.c", Quantity: httpapi.Int{Value: 3, Set: true}, Count: 2}, false},
		{"json string number", "application/json", `{"quantity":"7"}`, signup{Quantity: httpapi.Int{Value: 7, Set: true}}, false},
		{"json no content type", "", `{"email":"x"}`, signup{Email: "x"}, false},
		{"empty body", "application/json", ``, signup{}, false},
		{"form", "application/x-www-form-urlencoded", `email=a%40b.c&quantity=4&count=5&admin=true`, signup{Email: "a@b.c", Quantity: httpapi.Int{Value: 4, Set: true}, Count: 5, Admin: true}, false},
		{"form ignores unknown", "application/x-www-form-urlencoded", `other=1&email=z`, signup{Email: "z"}, false},
		{"operator object", "application/json", `{"email":{"$ne":null}}`, signup{}, true},
		{"fraction", "application/json", `{"quantity":1.5}`, signup{}, true},
		{"form fraction", "application/x-www-form-urlencoded", `quantity=1.5`, signup{}, true},
		{"form bad int", "application/x-www-form-urlencoded", `count=x`, signup{}, true},
		{"broken json", "application/json", `{"email":`, signup{}, true},
		{"two documents", "application/json", `{} {}`, signup{}, true},
		{"too large", "application/json", `{"email":"` + strings.Repeat("a", httpapi.MaxBodyBytes) + `"}`, signup{}, true},
		{"unsupported", "text/plain", `hi`, signup{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tt.body))
			if tt.ctype != "" {
				r.Header.Set("Content-Type", tt.ctype)
			}
			var got signup
			err := httpapi.Decode(httptest.NewRecorder(), r, &got)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("got nil error, want one (decoded %+v)", got)
				}
				if k := errs.KindOf(err); k != errs.Invalid {
					t.Fatalf("got kind %v, want Invalid", k)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestErrorLogsServerFailures shows that the cause of an Internal or
// Unavailable error reaches the log, and that of a refusal does not.
func TestErrorLogsServerFailures(t *testing.T) {
	for _, tt := range []struct {
		err     error
		wantLog bool
	}{
		{errs.Wrap(errors.New("cause-internal"), "x"), true},
		{&errs.Error{Kind: errs.Unavailable, Message: "x", Err: errors.New("cause-unavailable")}, true},
		{&errs.Error{Kind: errs.Invalid, Message: "x", Err: errors.New("cause-invalid")}, false},
	} {
		var logs bytes.Buffer
		log := slog.New(slog.NewTextHandler(&logs, nil))
		httpapi.Error(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil), log, tt.err)
		cause := errors.Unwrap(tt.err).Error()
		if got := strings.Contains(logs.String(), cause); got != tt.wantLog {
			t.Errorf("%v: cause logged %v, want %v (log %q)", tt.err, got, tt.wantLog, logs.String())
		}
	}
}

func TestError(t *testing.T) {
	tests := []struct {
		err        error
		status     int
		body       string
		retryAfter string
	}{
		{errs.E(errs.Invalid, "잘못"), 400, `{"errorMessage":"잘못"}`, ""},
		{errs.E(errs.Unauthorized, "로그인"), 401, `{"errorMessage":"로그인"}`, ""},
		{errs.E(errs.NotFound, "없음"), 404, `{"errorMessage":"없음"}`, ""},
		{errs.E(errs.Conflict, "중복"), 409, `{"errorMessage":"중복"}`, ""},
		{&errs.Error{Kind: errs.TooManyRequests, Message: "잠시", RetryAfter: 1500 * time.Millisecond}, 429, `{"errorMessage":"잠시"}`, "2"},
		{errors.New("secret database detail"), 500, `{"errorMessage":"일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."}`, ""},
		{errs.Wrap(errors.New("secret"), "panic"), 500, `{"errorMessage":"일시적인 오류가 발생했습니다. 잠시 후 다시 시도해 주세요."}`, ""},
		{&errs.Error{Kind: errs.Unavailable, Message: "저장 실패", Err: errors.New("secret")}, 503, `{"errorMessage":"저장 실패"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			w := httptest.NewRecorder()
			httpapi.Error(w, httptest.NewRequest("GET", "/", nil), nil, tt.err)
			if w.Code != tt.status {
				t.Errorf("got status %d, want %d", w.Code, tt.status)
			}
			if got := strings.TrimSpace(w.Body.String()); got != tt.body {
				t.Errorf("got body %s, want %s", got, tt.body)
			}
			if got := w.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Errorf("got Retry-After %q, want %q", got, tt.retryAfter)
			}
			if got := w.Header().Get("Content-Type"); got != "application/json; charset=utf-8" {
				t.Errorf("got Content-Type %q", got)
			}
		})
	}
}
